import { join } from 'node:path';
import type { PitchStats } from '../audio/pitch.js';
import { FileError, VoiceswapError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointContents, type LoadedCheckpoint } from '../model/io.js';
import type { RandomState } from '../util/random.js';
import type { SerializedStats } from './export.js';
import type { RunConfig } from './run-config.js';
import { iterationDirName, listIterationDirs, pruneIterationDirs } from './run-dir.js';

/** The run's state in a checkpoint besides the networks and optimisers (model.json's `extra`). */
export interface RunState {
  run: RunConfig;
  iteration: number;
  rng: RandomState;
  stats: { a: SerializedStats; b: SerializedStats };
  /** Absent in checkpoints made before pitch tracking (recomputed from the corpus, which gives the same). */
  pitch?: { a: PitchStats; b: PitchStats };
  elapsedSeconds: number;
}

/** Save a checkpoint atomically (saveCheckpoint writes a temp dir and renames it), keeping the newest `keep`. */
export async function writeCheckpoint(root: string, iteration: number, contents: CheckpointContents & { extra: RunState }, keep: number): Promise<string> {
  const dir = join(root, iterationDirName(iteration));
  await saveCheckpoint(dir, contents);
  pruneIterationDirs(root, keep);
  return dir;
}

/**
 * The newest checkpoint under `root` that loads and that `open` accepts (it turns the
 * plain data into the caller's state; a FileError from it marks the checkpoint damaged,
 * and it must free what it was given when it throws). A newer one that is damaged is reported
 * through `warn` and skipped (an older good one is used); none at all is an error, never
 * a silent fresh start.
 */
export function loadNewestCheckpoint<T>(root: string, warn: (m: string) => void, open: (checkpoint: LoadedCheckpoint) => T): { state: T; extra: unknown; iteration: number; dir: string } {
  const found = listIterationDirs(root);
  if (found.length === 0) throw new VoiceswapError(`${root}: no checkpoint to resume from (start without --resume, or point --out at the run to continue)`);
  const problems: string[] = [];
  for (const { iteration, dir } of found) {
    try {
      const checkpoint = loadCheckpoint(dir);
      return { state: open(checkpoint), extra: checkpoint.extra, iteration, dir };
    } catch (err) {
      if (!(err instanceof FileError)) throw err;
      problems.push(err.message);
      warn(`skipping damaged checkpoint: ${err.message}`);
    }
  }
  throw new VoiceswapError(`${root}: every checkpoint is damaged (${problems[0]})`);
}
