import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileError, VoiceswapError } from '../errors.js';
import { loadTrainerState, saveTrainerState } from './trainer-state.js';
import type { CycleGanTrainer } from './step.js';
import { iterationDirName, parseIterationDirName } from './run-dir.js';

/** Iteration-numbered subdirectories of `root`, newest first. */
export function listIterationDirs(root: string): { iteration: number; dir: string }[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ iteration: parseIterationDirName(name), dir: join(root, name) }))
    .filter((e): e is { iteration: number; dir: string } => e.iteration !== null)
    .sort((a, b) => b.iteration - a.iteration);
}

/** Keep the newest `keep` iteration directories under `root`, delete the rest. */
export function pruneIterationDirs(root: string, keep: number): void {
  for (const { dir } of listIterationDirs(root).slice(keep)) rmSync(dir, { recursive: true, force: true });
}

/** Save a checkpoint atomically (saveTrainerState writes a temp dir and renames it). */
export async function writeCheckpoint(root: string, iteration: number, trainer: CycleGanTrainer, extra: unknown, keep: number): Promise<string> {
  const dir = join(root, iterationDirName(iteration));
  await saveTrainerState(dir, trainer, { extra });
  pruneIterationDirs(root, keep);
  return dir;
}

/**
 * The newest checkpoint under `root` that loads. A newer one that is damaged is reported
 * through `warn` and skipped (an older good one is used); none at all is an error, never
 * a silent fresh start.
 */
export function loadNewestCheckpoint(root: string, warn: (m: string) => void): { trainer: CycleGanTrainer; extra: unknown; iteration: number; dir: string } {
  const found = listIterationDirs(root);
  if (found.length === 0) throw new VoiceswapError(`${root}: no checkpoint to resume from (start without --resume, or point --out at the run to continue)`);
  const problems: string[] = [];
  for (const { iteration, dir } of found) {
    try {
      const { trainer, extra } = loadTrainerState(dir);
      return { trainer, extra, iteration, dir };
    } catch (err) {
      if (!(err instanceof FileError)) throw err;
      problems.push(err.message);
      warn(`skipping damaged checkpoint: ${err.message}`);
    }
  }
  throw new VoiceswapError(`${root}: every checkpoint is damaged (${problems[0]})`);
}
