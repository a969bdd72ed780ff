import { formatDuration } from '../util/duration.js';

/**
 * Progress for long work. On a TTY: one self-overwriting line with a bar, rate and ETA
 * (with NO_COLOR set, or TERM=dumb, it is redrawn with a carriage return and spaces, no
 * ANSI escapes). When stderr is piped: silent unless `plainEvery` is set, then a plain
 * line at most every that many seconds and no carriage returns (so logs stay readable).
 */
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  stream?: NodeJS.WriteStream;
  /** Seconds between plain lines when not on a TTY; 0 = silent. */
  plainEvery?: number;
  /** Units already done before this process started (a resumed run): left out of the rate. */
  initial?: number;
  /** Whether ANSI escapes may be used on a TTY (default: unless NO_COLOR is set or TERM=dumb). */
  ansi?: boolean;
}

/** https://no-color.org: NO_COLOR set to anything but the empty string turns escapes off. */
export function ansiAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') && env.TERM !== 'dumb';
}

export class Progress {
  private readonly start = Date.now();
  private lastDraw = 0;
  private done = 0;
  private extra = '';
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly ansi: boolean;
  /** Length of the bar line now on screen (TTY), 0 when none. */
  private shown = 0;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.ansi = opts.ansi ?? ansiAllowed();
  }

  /** A line of its own (an error, a note) that does not get mixed into the bar. */
  message(line: string): void {
    this.clearLine();
    this.stream.write(line + '\n');
    if (this.tty) this.lastDraw = 0; // redraw the bar at the next update
  }

  private clearLine(): void {
    if (!this.tty || this.shown === 0) return;
    this.stream.write(this.ansi ? '\r\x1b[K' : `\r${' '.repeat(this.shown)}\r`);
    this.shown = 0;
  }

  /** Set the number of finished units (and an optional status text such as current losses). */
  update(done: number, extra = ''): void {
    this.done = done;
    this.extra = extra;
    const now = Date.now();
    const interval = this.tty ? 100 : (this.opts.plainEvery ?? 0) * 1000;
    if (interval <= 0 || now - this.lastDraw < interval) return;
    this.lastDraw = now;
    this.draw(false);
  }

  /** Final line (TTY) and newline. */
  finish(extra = this.extra): void {
    this.extra = extra;
    if (this.tty || (this.opts.plainEvery ?? 0) > 0) this.draw(true);
  }

  private draw(final: boolean): void {
    const { total, label } = this.opts;
    const unit = this.opts.unit ?? 'it';
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? (this.done - (this.opts.initial ?? 0)) / elapsed : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const stats = `${this.done}/${total} ${formatRate(rate, unit)} ${final ? formatDuration(elapsed) : 'ETA ' + formatDuration(eta)}`;
    const tail = this.extra ? ` ${this.extra}` : '';
    if (this.tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      const cols = this.stream.columns ?? 100;
      const line = `${label} [${bar}] ${stats}${tail}`.slice(0, cols - 1);
      const clear = this.ansi ? '\x1b[K' : ' '.repeat(Math.max(0, this.shown - line.length));
      this.stream.write(`\r${line}${clear}${final ? '\n' : ''}`);
      this.shown = final ? 0 : line.length;
    } else {
      this.stream.write(`${label} ${(100 * frac).toFixed(1)}% ${stats}${tail}\n`);
    }
  }
}

function formatRate(rate: number, unit: string): string {
  return rate >= 1 || rate === 0 ? `${rate.toFixed(2)} ${unit}/s` : `${(1 / rate).toFixed(2)} s/${unit}`;
}

export { formatDuration };
