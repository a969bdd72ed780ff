import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../backend/choices.js';
import { VoiceswapError } from '../errors.js';
import type { JobResult, JobSettings, JobTask } from './convert-job.js';

/**
 * `voiceswap convert --jobs N`: N worker threads (convert-worker.ts), each with its own tfjs
 * backend and model, fed one file at a time from a shared queue, so a long file does not
 * hold up the others. What each file gave comes back to the main thread, which alone prints.
 */

/**
 * The order the queue hands out tasks: largest input file first. A long file taken last
 * keeps one worker busy while the others have nothing left to do; taken first, the short
 * ones fill in around it. A file that cannot be stat'ed goes first: it fails at once with
 * its own error.
 */
export function largestFirst(tasks: readonly JobTask[]): number[] {
  const size = tasks.map((t) => {
    try {
      return statSync(t.input).size;
    } catch {
      return Infinity;
    }
  });
  return tasks.map((_, i) => i).sort((i, j) => size[j] - size[i] || i - j);
}

export interface WorkerSettings {
  backend: BackendChoice;
  /** Intra-op threads per worker (the native backend's OpenMP threads). */
  threads: number;
  modelDir: string;
  job: JobSettings;
}

export type ToWorker = { id: number; task: JobTask };
export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'done'; id: number; result: JobResult }
  | { type: 'failed'; id: number; message: string; userError: boolean }
  | { type: 'fatal'; message: string; userError: boolean };

/** One file's outcome: its figures, or the one-line problem (a user error: a broken WAV, say). */
export type JobOutcome = { task: JobTask; result: JobResult; error?: undefined } | { task: JobTask; error: string; result?: undefined };

const WORKER_URL = new URL('./convert-worker.js', import.meta.url);

export class ConvertPool {
  private closed = false;

  private constructor(
    private readonly workers: Worker[],
    /** Each worker's backend, as "name - description". */
    readonly backends: string[],
  ) {}

  /** Start `jobs` workers and wait until each has its backend and model ready. */
  static async start(jobs: number, settings: WorkerSettings): Promise<ConvertPool> {
    const workers: Worker[] = [];
    try {
      const ready = [];
      for (let i = 0; i < jobs; i++) {
        // Anything a worker prints (a library's notice) goes to stderr: stdout carries --json.
        const worker = new Worker(WORKER_URL, { workerData: settings, stdout: true, stderr: false });
        worker.stdout.pipe(process.stderr, { end: false });
        workers.push(worker);
        ready.push(
          new Promise<string>((resolve, reject) => {
            const onMessage = (m: FromWorker): void => {
              if (m.type === 'ready') resolve(m.backend);
              else if (m.type === 'fatal') reject(m.userError ? new VoiceswapError(m.message) : new Error(`convert worker failed to start: ${m.message}`));
              else return;
              worker.off('message', onMessage);
              worker.off('error', reject);
            };
            worker.on('message', onMessage);
            worker.once('error', reject);
          }),
        );
      }
      return new ConvertPool(workers, await Promise.all(ready));
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Convert every task, each worker taking the next one (largest first) as soon as it is free; `onOutcome`
   * hears of each file as it finishes (in completion order). A failing file does not stop
   * the others. A bug in a worker (not a user error) or a worker that dies rejects.
   */
  run(tasks: readonly JobTask[], onOutcome: (outcome: JobOutcome) => void): Promise<void> {
    const order = largestFirst(tasks);
    return new Promise<void>((resolve, reject) => {
      let next = 0;
      let finished = 0;
      let failedHard = false;
      const cleanups: Array<() => void> = [];
      const settle = (err?: unknown): void => {
        for (const c of cleanups) c();
        if (err === undefined) resolve();
        else reject(err);
      };
      const feed = (worker: Worker): void => {
        if (next < tasks.length) {
          const id = order[next++];
          worker.postMessage({ id, task: tasks[id] } satisfies ToWorker);
        }
      };
      if (tasks.length === 0) return resolve();
      for (const worker of this.workers) {
        const onMessage = (m: FromWorker): void => {
          if (failedHard) return;
          if (m.type === 'done') onOutcome({ task: tasks[m.id], result: m.result });
          else if (m.type === 'failed' && m.userError) onOutcome({ task: tasks[m.id], error: m.message });
          else if (m.type === 'failed') {
            failedHard = true;
            return settle(new Error(`convert worker: ${tasks[m.id].input}: ${m.message}`));
          } else return;
          finished++;
          if (finished === tasks.length) return settle();
          feed(worker);
        };
        const onError = (err: Error): void => {
          if (failedHard) return;
          failedHard = true;
          settle(err);
        };
        // close() (Ctrl-C) ends the workers on purpose: that is not a failure of the run.
        const onExit = (code: number): void => {
          if (!this.closed) onError(new Error(`a convert worker exited unexpectedly (code ${code})`));
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        cleanups.push(() => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        });
        feed(worker);
      }
    });
  }

  /** Stop every worker (at once: a file in progress is abandoned, its temporary removed by the caller). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
