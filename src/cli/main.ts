import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { VoiceswapError } from '../errors.js';
import { EXIT_CODES_HELP, UsageError } from './usage.js';
import { registerSpectrogram } from './spectrogram.js';
import { registerResynth } from './resynth.js';
import { registerEvaluate } from './evaluate.js';
import { registerTrain } from './train.js';
import { registerConvert } from './convert.js';
import { registerBench } from './bench.js';
import { registerReport } from './report.js';
import { registerUi } from './ui.js';

/** Build the `voiceswap` command tree. Each sub-command lives in its own file. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('voiceswap')
    .description('Voice conversion with a spectrogram CycleGAN: make speaker A sound like speaker B.')
    .version(packageVersion(), '-V, --version')
    .exitOverride();
  registerSpectrogram(program);
  registerResynth(program);
  registerTrain(program);
  registerConvert(program);
  registerEvaluate(program);
  registerReport(program);
  registerBench(program);
  registerUi(program);
  program.addHelpText(
    'after',
    `
Examples:
  $ voiceswap spectrogram samples/alice/alice001.wav -o alice.png
  $ voiceswap resynth samples/bob/bob001.wav -o bob.gl.wav
  $ voiceswap convert samples/demo/alice_demo1.wav
  $ voiceswap ui                      # the browser page (npm run build:web first)
${EXIT_CODES_HELP}`,
  );
  return program;
}

/**
 * Run the CLI and return the exit code. User errors (VoiceswapError) print one line,
 * no stack; anything else is a bug and keeps its stack trace.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed help or the version (exit code 0), or a usage error: 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`voiceswap: error: ${err.message.split('\n')[0]}\n`);
      return 2;
    }
    if (err instanceof VoiceswapError) {
      process.stderr.write(`voiceswap: error: ${err.message.split('\n')[0]}\n`);
      return 1;
    }
    throw err;
  }
}

/**
 * The version in the package's own package.json, found relative to this module (so it is
 * right from a clone and from an installed package alike): src/cli/ or dist/src/cli/.
 */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'voiceswap' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level: try the next
    }
  }
  throw new Error('voiceswap: cannot find its package.json to read the version');
}
