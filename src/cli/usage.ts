import { VoiceswapError } from '../errors.js';

/**
 * A command line that cannot work as given (options that contradict each other, a missing
 * -o where one is needed): exit code 2, like commander's own usage errors.
 */
export class UsageError extends VoiceswapError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The exit codes every command returns (documented in --help and the README). */
export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    bad input (a broken WAV, a missing model, ...) or a file that failed to convert
  2    usage error (unknown option, bad option value, contradicting options)
  130  interrupted (Ctrl-C / SIGINT)`;
