/**
 * An error caused by the user's input (a bad file, a bad option, a missing model).
 * The CLI prints `message` as one line and exits non-zero, with no stack trace.
 * Anything that is not a VoiceswapError is a bug and keeps its stack trace.
 */
export class VoiceswapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VoiceswapError';
  }
}

/** A problem with one named file: the message always starts with the file's path. */
export class FileError extends VoiceswapError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'FileError';
    this.file = file;
  }
}
