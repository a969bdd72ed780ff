import { Command, CommanderError } from 'commander';
import { VoiceswapError } from '../errors.js';
import { registerSpectrogram } from './spectrogram.js';
import { registerResynth } from './resynth.js';
import { registerEvaluate } from './evaluate.js';
import { registerTrain } from './train.js';
import { registerConvert } from './convert.js';
import { registerBench } from './bench.js';
import { registerReport } from './report.js';

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
  program.addHelpText(
    'after',
    `
Examples:
  $ voiceswap spectrogram samples/alice/alice001.wav -o alice.png
  $ voiceswap resynth samples/bob/bob001.wav -o bob.gl.wav`,
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
      // commander already printed help, version or a usage error.
      return err.exitCode;
    }
    if (err instanceof VoiceswapError) {
      process.stderr.write(`voiceswap: error: ${err.message.split('\n')[0]}\n`);
      return 1;
    }
    throw err;
  }
}

function packageVersion(): string {
  return '0.1.0';
}
