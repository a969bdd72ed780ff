import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/voiceswap.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (dist/, compiled by `npm test` before vitest starts) in a child process. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    // A hung command may ignore SIGTERM (train handles it, and cannot while stuck): kill it.
    killSignal: 'SIGKILL',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether the command ran past its timeout (and was killed). */
export function timedOut(r: CliResult): boolean {
  return r.status === null;
}

/** The error line of a failed command: exactly one line, no stack trace. */
export function errorLine(r: CliResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim().length > 0 && !isTfjsBanner(l));
  return lines.join('\n');
}

function isTfjsBanner(line: string): boolean {
  return /^=+$/.test(line.trim()) || line.includes('looks like you are running TensorFlow.js in Node.js');
}
