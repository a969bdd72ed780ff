import { Command } from 'commander';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { BackendChoice } from '../backend/choices.js';
import { DEFAULT_FEATURE_CONFIG } from '../audio/config.js';
import { DIRECTIONS, type Direction } from '../convert/direction.js';
import { FileError, VoiceswapError } from '../errors.js';
import { assertWritablePath } from '../io/atomic.js';
import { makeDirectory } from '../io/mkdir.js';
import { assertNotInput } from '../io/protect.js';
import { listWavFiles } from '../io/wav-files.js';
import { defaultModelDir } from '../convert/shipped-model.js';
import { backendOptions, startBackend } from './backend-option.js';
import { choiceOption, intOption, numberOption } from './options.js';
import { EXCITATION_MODES, VOICING_MODES, type ExcitationMode, type VoicingMode } from '../convert/excitation-mode.js';
import { Progress } from './progress.js';
import type { JobSettings, JobTask } from './convert-job.js';
import type { InputVoiceStats } from '../convert/input-stats.js';
import { ConvertPool, type JobOutcome } from './convert-pool.js';
import { EXIT_CODES_HELP, UsageError } from './usage.js';
import { fixStreamedDataLength } from './stdin-wav.js';

/** --input-stats: the inputs of one call pooled as one voice, each file alone, or none (the source speaker's). */
const INPUT_STATS_SCOPES = ['all', 'file', 'off'] as const;
type InputStatsScope = (typeof INPUT_STATS_SCOPES)[number];

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
  /** false with --no-harmonic-lock. */
  harmonicLock: boolean;
  pitchShift?: number;
  f0Ratio?: number;
  formantRatio?: number;
  inputStats: InputStatsScope;
  backend: BackendChoice;
  threads?: number;
  jobs?: number;
  json?: boolean;
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
    .option('--no-harmonic-lock', "comparison path: let Griffin-Lim set every phase instead of locking the harmonics below 1.5 kHz of voiced frames to a periodic signal at the converted F0")
    .option('--pitch-shift <semitones>', 'shift the converted pitch by this many semitones on top of the mapping (rebuilt excitation)', numberOption('--pitch-shift', -36, 36))
    .option('--f0-ratio <r>', 'multiply the converted F0 by r on top of the mapping (rebuilt excitation)', numberOption('--f0-ratio', 0.125, 8))
    .option('--formant-ratio <r>', "move the input's formants by this factor before the generator (default: kept for pitch moves under 3.5 semitones, about x0.86 for a woman's voice to a man's and x1.16 back; 1: keep them; rebuilt or source excitation)", numberOption('--formant-ratio', 0.5, 2))
    .option('--input-stats <scope>', "whose statistics the input is normalised with, weighed against the model's source speaker by how much speech they hold: all (the inputs of this call pooled, as one voice), file (each file its own: inputs of different voices), off (the source speaker's only)", choiceOption('--input-stats', INPUT_STATS_SCOPES), 'all')
    .option('-j, --jobs <n>', `files converted in parallel, each worker thread with its own backend (default: the number of cores, ${availableParallelism()} here; 1: in this thread)`, intOption('--jobs', 1, 1024))
    .option('--json', 'one JSON object per file on stdout: input, output, audio_seconds, wall_seconds, f0_median_in_hz, f0_median_out_hz (or error); messages stay on stderr');
  for (const o of backendOptions()) cmd.addOption(o);
  cmd
    .addHelpText(
      'after',
      `
Output names: each input NAME.wav becomes NAME.a2b.wav (or .b2a) in the current
directory, or in the folder given with -o. An input is never overwritten. With
several inputs, a file that fails is reported and skipped; the exit code is 1 if any failed.
Several files are converted in parallel by --jobs worker threads (default: one per core).
'-' as the input reads a WAV from stdin, -o - writes the WAV to stdout (messages and
progress always go to stderr). --json cannot go with -o - (both want stdout).

Examples:
  $ voiceswap convert samples/demo/alice_demo1.wav
  $ voiceswap convert samples/demo/alice_demo1.wav -o bob-voice.wav --spectrogram
  $ voiceswap convert recordings/ -o converted/ --model runs/alice-bob
  $ voiceswap convert samples/demo/bob_demo1.wav --direction b2a
  $ voiceswap convert my-voice.wav --pitch-shift -2   # two semitones below the mapped pitch
  $ voiceswap convert my-voice.wav --formant-ratio 1  # keep the input's formants
  $ voiceswap convert my-voice/ -o converted/         # a folder of one voice: normalised with its pooled statistics
  $ voiceswap convert samples/dev/alice -o converted/ --jobs 2 --json > converted.jsonl
  $ sox in.flac -t wav - | voiceswap convert - -o - | sox -t wav - out.mp3
${EXIT_CODES_HELP}`,
    )
    .action((inputs: string[], opts: ConvertCliOptions) => runConvert(inputs, opts));
}

async function runConvert(inputs: string[], opts: ConvertCliOptions): Promise<void> {
  const toStdout = opts.output === '-';
  const fromStdin = inputs.includes('-');
  if (toStdout && opts.json) throw new UsageError('-o - and --json both write to stdout; use one of them');
  if (toStdout && opts.spectrogram) throw new UsageError('--spectrogram writes a picture beside the output file; it needs -o FILE, not -o -');
  if (fromStdin && inputs.length > 1) throw new UsageError("'-' (read a WAV from stdin) must be the only input");
  if (fromStdin && !opts.output) throw new UsageError("reading a WAV from stdin ('-') needs -o OUT.wav, or -o - for stdout");
  // stdout may carry a WAV or JSON lines: whatever a library prints goes to stderr instead.
  if (toStdout || opts.json) console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);
  if (fromStdin) return convertOneStream(STDIN, opts);
  const files = expandInputs(inputs);
  if (toStdout && files.length !== 1) throw new UsageError(`-o - (stdout) takes one input, got ${files.length} files`);
  if (toStdout) return convertOneStream(files[0], opts);

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
  const { resolveModelDir } = await import('../convert/voice-model.js');
  const modelDir = resolveModelDir(opts.model ?? defaultModelDir());
  // The model's files are inputs too (`-o MODEL/weights.bin` would destroy the model).
  const modelFiles = readdirSync(modelDir).map((name) => join(modelDir, name));
  for (const out of [...outputs, ...(opts.spectrogram ? pictures : [])]) assertNotInput(out, modelFiles);

  const tasks: JobTask[] = files.map((input, i) => ({ input, output: outputs[i], picture: opts.spectrogram ? pictures[i] : undefined }));
  const settings = jobSettings(opts);
  if (opts.inputStats === 'all' && files.length > 1) settings.inputStats = (await pooledInputStats(files, modelDir)) ?? 'own';
  const jobs = Math.min(opts.jobs ?? availableParallelism(), files.length);
  const progress = files.length > 1 ? new Progress({ label: 'convert', total: files.length, unit: 'file', plainEvery: 5 }) : undefined;
  let done = 0;
  let failed = 0;
  const report = (outcome: JobOutcome): void => {
    done++;
    if (outcome.error !== undefined) {
      failed++;
      const message = outcome.error.startsWith(outcome.task.input) ? outcome.error : `${outcome.task.input}: ${outcome.error}`;
      log(progress, `voiceswap: error: ${message}`);
      if (opts.json) writeJsonLine({ input: outcome.task.input, output: outcome.task.output, error: message });
    } else {
      const r = outcome.result;
      if (!progress) log(progress, `wrote ${r.output} (${r.audio_seconds.toFixed(2)} s, real-time factor ${(r.wall_seconds / r.audio_seconds).toFixed(3)})`);
      if (opts.json) writeJsonLine(r);
    }
    progress?.update(done);
  };

  if (jobs > 1) {
    await convertInWorkers(tasks, settings, modelDir, jobs, opts, report);
  } else {
    await startBackend(opts, true);
    const [{ loadJobModules, convertJob }, { assertFeatures, disposeVoiceModel, loadVoiceModel }] = await Promise.all([
      import('./convert-job.js'),
      import('../convert/voice-model.js'),
    ]);
    await loadJobModules(Boolean(opts.spectrogram));
    const model = loadVoiceModel(modelDir, [opts.direction]);
    try {
      assertFeatures(model, DEFAULT_FEATURE_CONFIG);
      for (const task of tasks) {
        try {
          report({ task, result: convertJob(model, task, settings) });
        } catch (err) {
          if (!(err instanceof VoiceswapError) || files.length === 1) throw err;
          report({ task, error: err.message.split('\n')[0] });
        }
      }
    } finally {
      disposeVoiceModel(model);
    }
  }
  progress?.finish();
  if (files.length > 1) process.stderr.write(`converted ${files.length - failed} of ${files.length} files${failed ? `, ${failed} failed` : ''}\n`);
  if (failed > 0) process.exitCode = 1;
}

/** `--jobs N`: the files spread over N worker threads; Ctrl-C stops them and exits 130. */
async function convertInWorkers(
  tasks: JobTask[],
  job: JobSettings,
  modelDir: string,
  jobs: number,
  opts: ConvertCliOptions,
  report: (outcome: JobOutcome) => void,
): Promise<void> {
  // Each worker gets its share of the cores for its intra-op threads, so N workers do not oversubscribe them.
  const threads = opts.threads ?? Math.max(1, Math.floor(availableParallelism() / jobs));
  let pool: ConvertPool | undefined;
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) return; // a second Ctrl-C while the workers stop changes nothing
    interrupted = true;
    void (pool?.close() ?? Promise.resolve()).finally(() => {
      removeOwnTemporaries(tasks);
      process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}voiceswap: interrupted\n`);
      process.exit(130);
    });
  };
  process.on('SIGINT', onSigint);
  try {
    pool = await ConvertPool.start(jobs, { backend: opts.backend, threads, modelDir, job });
    await pool.run(tasks, report);
  } finally {
    process.off('SIGINT', onSigint);
    await pool?.close();
  }
}

/** Temporary files of this process's atomic writes (`.NAME.PID.TIME.tmp`) in the output folders: a worker stopped mid-write leaves one. */
function removeOwnTemporaries(tasks: readonly JobTask[]): void {
  const own = new RegExp(`^\\..+\\.${process.pid}\\.\\d+\\.tmp$`);
  const dirs = new Set(tasks.flatMap((t) => [dirname(resolve(t.output)), ...(t.picture ? [dirname(resolve(t.picture))] : [])]));
  for (const dir of dirs) {
    try {
      for (const name of readdirSync(dir)) if (own.test(name)) rmSync(join(dir, name), { force: true });
    } catch {
      // a folder we cannot read has none of ours to remove
    }
  }
}

const STDIN = '<stdin>';
const STDOUT = '<stdout>';

/**
 * One conversion through a stream: a WAV from stdin (`-`) and/or to stdout (`-o -`), the
 * pipeline `sox in.flac -t wav - | voiceswap convert - -o - | sox -t wav - out.mp3`. stdin
 * is read to its end, then parsed (a pipe writer's unknown data length is read as what
 * arrived); the output WAV goes to stdout in one piece, everything else to stderr.
 */
async function convertOneStream(input: string, opts: ConvertCliOptions): Promise<void> {
  const output = opts.output === '-' ? STDOUT : (opts.output ?? outputPathFor(input, opts, true));
  const picture = output !== STDOUT && opts.spectrogram ? picturePathFor(output) : undefined;
  const { resolveModelDir } = await import('../convert/voice-model.js');
  const modelDir = resolveModelDir(opts.model ?? defaultModelDir());
  const modelFiles = readdirSync(modelDir).map((name) => join(modelDir, name));
  for (const out of output === STDOUT ? [] : [output, ...(picture ? [picture] : [])]) {
    if (input !== STDIN) assertNotInput(out, [input]);
    assertNotInput(out, modelFiles);
    assertWritablePath(out);
  }
  if (input === STDIN && process.stdin.isTTY) throw new UsageError("'-' reads a WAV from stdin, but stdin is a terminal: pipe one in (sox in.flac -t wav - | voiceswap convert - -o out.wav)");
  const bytes = input === STDIN ? await readAll(process.stdin) : undefined;

  await startBackend(opts, true);
  const [job, { assertFeatures, disposeVoiceModel, loadVoiceModel }, { decodeWav, encodeWav, readWav, writeWav }, { writeUserFileAtomic }] = await Promise.all([
    import('./convert-job.js'),
    import('../convert/voice-model.js'),
    import('../audio/wav.js'),
    import('../io/atomic.js'),
  ]);
  await job.loadJobModules();
  const settings = jobSettings(opts);
  const model = loadVoiceModel(modelDir, [opts.direction]);
  try {
    assertFeatures(model, DEFAULT_FEATURE_CONFIG);
    const started = performance.now();
    const wav = bytes ? decodeWav(fixStreamedDataLength(bytes), STDIN) : readWav(input);
    const converted = job.convertSamples(model, wav.samples, wav.sampleRate, settings);
    if (output === STDOUT) {
      await writeAll(process.stdout, encodeWav(converted.samples, converted.sampleRate, settings.encoding));
    } else {
      writeWav(output, converted.samples, converted.sampleRate, { encoding: settings.encoding, protect: input === STDIN ? [] : [input] });
      if (picture) {
        const { renderSpectrogramStackPng } = await import('../viz/spectrogram-image.js');
        const f = model.info.features;
        writeUserFileAtomic(
          picture,
          renderSpectrogramStackPng(
            [
              { spec: converted.input, title: `input: ${input}` },
              { spec: converted.output, title: `output (${opts.direction}): ${output}` },
            ],
            { kind: 'mel', sampleRate: f.sampleRate, hopLength: f.hopLength, fMin: f.fMin, fMax: f.fMax },
          ),
        );
      }
    }
    const r = job.jobResult(model, { input, output: output === STDOUT ? '-' : output }, wav, converted, settings, started);
    process.stderr.write(`wrote ${output} (${r.audio_seconds.toFixed(2)} s, real-time factor ${(r.wall_seconds / r.audio_seconds).toFixed(3)})\n`);
    if (opts.json) writeJsonLine(r);
  } finally {
    disposeVoiceModel(model);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  } catch (err) {
    throw new FileError(STDIN, `cannot read: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks);
}

/** Write all of `bytes` to a stream; a reader that went away is a one-line error. */
function writeAll(stream: NodeJS.WriteStream, bytes: Uint8Array): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException): void =>
      reject(new FileError(STDOUT, err.code === 'EPIPE' ? 'the reader closed the pipe before the WAV was written' : `cannot write: ${err.message}`));
    stream.once('error', onError);
    stream.write(bytes, (err) => {
      stream.off('error', onError);
      if (err) onError(err);
      else resolvePromise();
    });
  });
}

function writeJsonLine(value: object): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** A line for the user on stderr, clear of the progress bar. */
function log(progress: Progress | undefined, line: string): void {
  if (progress) progress.message(line);
  else process.stderr.write(line + '\n');
}

function jobSettings(opts: ConvertCliOptions): JobSettings {
  return {
    direction: opts.direction,
    iterations: opts.iters,
    keepRate: opts.keepRate,
    statsOnly: opts.statsOnly,
    excitation: opts.excitation,
    voicing: opts.voicing,
    harmonicLock: opts.harmonicLock,
    f0Ratio: f0Ratio(opts),
    formantRatio: opts.formantRatio,
    inputStats: opts.inputStats === 'off' ? 'speaker' : 'own',
    encoding: opts.float ? 'float32' : 'pcm16',
    spectrogram: opts.spectrogram,
    measureF0: opts.json,
  };
}

/**
 * --input-stats all: the statistics of every input file pooled, as recordings of one voice
 * (convert/input-stats.ts), of what the model's generators take. A file that cannot be read
 * is left out here; its conversion reports it.
 */
async function pooledInputStats(files: readonly string[], modelDir: string): Promise<InputVoiceStats | null> {
  const [{ loadAudio }, { logMelSpectrogram }, { inputVoiceStats }, { MODEL_JSON, parseModelJson }] = await Promise.all([
    import('../audio/load.js'),
    import('../audio/features.js'),
    import('../convert/input-stats.js'),
    import('../model/format.js'),
  ]);
  const jsonPath = join(modelDir, MODEL_JSON);
  const { domain } = parseModelJson(jsonPath, readFileSync(jsonPath, 'utf8')).config;
  const features = DEFAULT_FEATURE_CONFIG;
  const logMels = [];
  for (const file of files) {
    try {
      logMels.push(logMelSpectrogram(loadAudio(file, features.sampleRate).samples, features));
    } catch (err) {
      if (!(err instanceof VoiceswapError)) throw err;
    }
  }
  return inputVoiceStats(logMels, domain);
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
