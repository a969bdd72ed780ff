import { Command } from 'commander';
import { DEFAULT_FEATURE_CONFIG } from '../audio/config.js';
import { loadAudio } from '../audio/load.js';
import { logMelSpectrogram } from '../audio/features.js';
import { logMelToAudio } from '../audio/griffinlim.js';
import { writeWav } from '../audio/wav.js';
import { intOption } from './options.js';
import { derivedOutputPath } from './paths.js';
import { assertNotInput } from '../io/protect.js';

interface ResynthOptions {
  output?: string;
  iters?: number;
  seed: number;
  float?: boolean;
}

export function registerResynth(program: Command): void {
  program
    .command('resynth')
    .description('WAV -> log-mel -> Griffin-Lim -> WAV: hear the vocoder ceiling before training anything')
    .argument('<input>', 'a WAV file (any format voiceswap reads)')
    .option('-o, --output <wav>', 'WAV to write (default: <input name>.resynth.wav in the current directory)')
    .option('--iters <n>', 'Griffin-Lim iterations (default: the library default)', intOption('--iters', 1, 10000))
    .option('--seed <n>', 'seed of the initial random phase', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--float', 'write 32-bit float instead of 16-bit PCM')
    .addHelpText(
      'after',
      `
Every converted file goes out through this same inverter, so this is the best a
converted file can sound with the default features.

Examples:
  $ voiceswap resynth samples/bob/bob001.wav -o bob001.gl.wav
  $ voiceswap resynth speech.wav --iters 100 -o speech.gl100.wav`,
    )
    .action((input: string, opts: ResynthOptions) => runResynth(input, opts));
}

function runResynth(input: string, opts: ResynthOptions): void {
  const cfg = DEFAULT_FEATURE_CONFIG;
  const output = opts.output ?? derivedOutputPath(input, '.resynth.wav');
  assertNotInput(output, [input]);
  const audio = loadAudio(input, cfg.sampleRate);
  const logMel = logMelSpectrogram(audio.samples, cfg);
  const started = Date.now();
  const samples = logMelToAudio(logMel, { iterations: opts.iters, seed: opts.seed, cfg, length: audio.samples.length });
  const seconds = (Date.now() - started) / 1000;
  writeWav(output, samples, cfg.sampleRate, { encoding: opts.float ? 'float32' : 'pcm16', protect: [input] });
  const duration = audio.samples.length / cfg.sampleRate;
  process.stderr.write(`wrote ${output} (${duration.toFixed(2)} s of audio, inversion ${seconds.toFixed(2)} s, RTF ${(seconds / duration).toFixed(3)})\n`);
}
