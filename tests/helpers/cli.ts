import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/voiceswap.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the built CLI (dist/, compiled by `npm test` before vitest starts) in a child process.
 * Asynchronous on purpose: vitest's worker must keep answering its runner while a command
 * runs (a worker blocked for 60 s, as spawnSync blocks it for a slow command on a loaded
 * machine, fails the whole run with "Timeout calling onTaskUpdate").
 */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // A hung command may ignore SIGTERM (train handles it, and cannot while stuck): kill it.
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: killed ? null : code, stdout, stderr });
    });
  });
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
