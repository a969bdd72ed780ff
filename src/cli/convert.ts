import { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { BackendChoice } from '../backend/choices.js';
import { DEFAULT_FEATURE_CONFIG } from '../audio/config.js';
import { DIRECTIONS, type Direction } from '../convert/direction.js';
import { VoiceswapError } from '../errors.js';
import { assertWritablePath, writeUserFileAtomic } from '../io/atomic.js';
import { makeDirectory } from '../io/mkdir.js';
import { assertNotInput } from '../io/protect.js';
import { listWavFiles } from '../io/wav-files.js';
import { defaultModelDir } from '../convert/shipped-model.js';
import { backendOptions, startBackend } from './backend-option.js';
import { choiceOption, intOption, numberOption } from './options.js';
import { EXCITATION_MODES, VOICING_MODES, type ExcitationMode, type VoicingMode } from '../convert/excitation-mode.js';
import { Progress } from './progress.js';

interface ConvertCliOptions {
  output?: string;
  model?: string;
  direction: Direction;
  iters?: number;
  keepRate?: boolean;
  spectrogram?: boolean;
  float?: boolean;
  statsOnly?: boolean;
  excitation?: ExcitationMode;
  voicing?: VoicingMode;
  pitchShift?: number;
  f0Ratio?: number;
  inputStats?: boolean;
  backend: BackendChoice;
  threads?: number;
}

export function registerConvert(program: Command): void {
  const cmd = program
    .command('convert')
    .description("Convert recordings into the other speaker's voice")
    .argument('<inputs...>', 'WAV files and/or folders of WAVs (any format voiceswap reads)')
    .option('-o, --output <path>', 'output WAV (one input) or output folder (default: NAME.a2b.wav beside the current directory)')
    .option('--model <dir>', 'model directory, or a training run directory (its newest export); default: the shipped alice<->bob model')
    .option('--direction <d>', 'a2b: speaker A -> B; b2a: B -> A', choiceOption('--direction', DIRECTIONS), 'a2b')
    .option('--iters <n>', 'Griffin-Lim iterations (default: the vocoder default)', intOption('--iters', 1, 10000))
    .option('--keep-rate', "write at the input's sample rate instead of the model's")
    .option('--spectrogram', 'also write NAME.a2b.png with input and output spectrograms')
    .option('--float', 'write 32-bit float WAVs instead of 16-bit PCM')
    .option('--stats-only', "baseline for comparisons: no network, only the source speaker's statistics swapped for the target's")
    .option('--excitation <mode>', "where the harmonics come from: rebuilt (at the input's pitch mapped to the target; default for models with pitch statistics), source (the input's own: pitch kept), network (drawn by the generator; log-mel models only)", choiceOption('--excitation', EXCITATION_MODES))
    .option('--voicing <which>', "which frames are voiced (rebuilt excitation): target (the input's voiced frames and those the target speaker would voice; default for models with voicing classifiers) or source (the input's only)", choiceOption('--voicing', VOICING_MODES))
    .option('--pitch-shift <semitones>', 'shift the converted pitch by this many semitones on top of the mapping (rebuilt excitation)', numberOption('--pitch-shift', -36, 36))
    .option('--f0-ratio <r>', 'multiply the converted F0 by r on top of the mapping (rebuilt excitation)', numberOption('--f0-ratio', 0.125, 8))
    .option('--input-stats', "normalise each input with its own statistics instead of the source speaker's (for voices the model was not trained on)");
  for (const o of backendOptions()) cmd.addOption(o);
  cmd
    .addHelpText(
      'after',
      `
Output names: each input NAME.wav becomes NAME.a2b.wav (or .b2a) in the current
directory, or in the folder given with -o. An input is never overwritten. With
several inputs, a file that fails is reported and skipped; the exit code is 1 if any failed.

Examples:
  $ voiceswap convert samples/demo/alice_demo1.wav
  $ voiceswap convert samples/demo/alice_demo1.wav -o bob-voice.wav --spectrogram
  $ voiceswap convert recordings/ -o converted/ --model runs/alice-bob
  $ voiceswap convert samples/demo/bob_demo1.wav --direction b2a
  $ voiceswap convert my-voice.wav --pitch-shift -2   # two semitones below the mapped pitch`,
    )
    .action((inputs: string[], opts: ConvertCliOptions) => runConvert(inputs, opts));
}

async function runConvert(inputs: string[], opts: ConvertCliOptions): Promise<void> {
  const files = expandInputs(inputs);
  const single = files.length === 1 && !(opts.output && isDirectoryPath(opts.output));
  const outputs = files.map((f) => outputPathFor(f, opts, single));
  for (const out of outputs) assertNotInput(out, files);
  const seen = new Map<string, string>();
  outputs.forEach((out, i) => {
    const other = seen.get(out);
    if (other) throw new VoiceswapError(`${files[i]}: would write the same output ${out} as ${other}; convert them separately with -o`);
    seen.set(out, files[i]);
  });
  if (!single && opts.output) makeDirectory(opts.output);
  const pictures = outputs.map(picturePathFor);
  if (opts.spectrogram) for (const png of pictures) assertNotInput(png, files); // `convert pic.png -o pic.wav` must not replace pic.png
  // Before any work: an output that cannot be written would fail only after the conversion.
  for (const out of [...outputs, ...(opts.spectrogram ? pictures : [])]) assertWritablePath(out);

  await startBackend(opts, true);
  const [{ convertFile }, { assertFeatures, disposeVoiceModel, loadVoiceModel }, { renderSpectrogramStackPng }] = await Promise.all([
    import('../convert/convert-audio.js'),
    import('../convert/voice-model.js'),
    import('../viz/spectrogram-image.js'),
  ]);
  const model = loadVoiceModel(opts.model ?? defaultModelDir(), [opts.direction]);
  try {
    assertFeatures(model, DEFAULT_FEATURE_CONFIG);
    // The model's files are inputs too (`-o MODEL/weights.bin` would destroy the model).
    const modelFiles = readdirSync(model.dir).map((name) => join(model.dir, name));
    for (const out of [...outputs, ...(opts.spectrogram ? pictures : [])]) assertNotInput(out, modelFiles);
    const progress = files.length > 1 ? new Progress({ label: 'convert', total: files.length, unit: 'file' }) : undefined;
    let failed = 0;
    for (let i = 0; i < files.length; i++) {
      const started = Date.now();
      try {
        const result = convertFile(model, files[i], outputs[i], {
          direction: opts.direction,
          iterations: opts.iters,
          keepRate: opts.keepRate,
          statsOnly: opts.statsOnly,
          excitation: opts.excitation,
          voicing: opts.voicing,
          f0Ratio: f0Ratio(opts),
          inputStats: opts.inputStats,
          encoding: opts.float ? 'float32' : 'pcm16',
        });
        if (opts.spectrogram) {
          const f = model.info.features;
          writeUserFileAtomic(
            pictures[i],
            renderSpectrogramStackPng(
              [
                { spec: result.input, title: `input: ${files[i]}` },
                { spec: result.output, title: `output (${opts.direction}): ${outputs[i]}` },
              ],
              { kind: 'mel', sampleRate: f.sampleRate, hopLength: f.hopLength, fMin: f.fMin, fMax: f.fMax },
            ),
          );
        }
        const seconds = result.samples.length / result.sampleRate;
        const rtf = (Date.now() - started) / 1000 / seconds;
        if (!progress) process.stderr.write(`wrote ${outputs[i]} (${seconds.toFixed(2)} s, real-time factor ${rtf.toFixed(3)})\n`);
      } catch (err) {
        if (!(err instanceof VoiceswapError) || files.length === 1) throw err;
        failed++;
        process.stderr.write(`\nvoiceswap: error: ${err.message}\n`);
      }
      progress?.update(i + 1);
    }
    progress?.finish();
    if (files.length > 1) process.stderr.write(`converted ${files.length - failed} of ${files.length} files${failed ? `, ${failed} failed` : ''}\n`);
    if (failed > 0) process.exitCode = 1;
  } finally {
    disposeVoiceModel(model);
  }
}

/** The manual pitch factor of --pitch-shift and/or --f0-ratio (both multiply). */
function f0Ratio(opts: ConvertCliOptions): number | undefined {
  if (opts.pitchShift === undefined && opts.f0Ratio === undefined) return undefined;
  return 2 ** ((opts.pitchShift ?? 0) / 12) * (opts.f0Ratio ?? 1);
}

/** Files as given, folders as every .wav inside (recursively). */
function expandInputs(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    if (!existsSync(input)) throw new VoiceswapError(`${input}: file not found`);
    if (statSync(input).isDirectory()) {
      const wavs = listWavFiles(input, { recursive: true });
      if (wavs.length === 0) throw new VoiceswapError(`${input}: no .wav files in this folder`);
      files.push(...wavs);
    } else {
      files.push(input);
    }
  }
  return files;
}

function isDirectoryPath(path: string): boolean {
  return path.endsWith('/') || (existsSync(path) && statSync(path).isDirectory());
}

/** NAME.a2b.png beside NAME.a2b.wav (--spectrogram). */
function picturePathFor(wav: string): string {
  return wav.replace(/\.wav$/i, '') + '.png';
}

function outputPathFor(input: string, opts: ConvertCliOptions, single: boolean): string {
  if (single && opts.output) return opts.output;
  const name = `${basename(input, extname(input))}.${opts.direction}.wav`;
  return join(opts.output ?? '.', name);
}
