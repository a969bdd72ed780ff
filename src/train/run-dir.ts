import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileError } from '../errors.js';
import type { RunConfig } from './train.js';

/**
 * The layout of a training run directory (`--out`):
 *
 *   run.json            the run's settings (data folders, preset, features, schedule, seed)
 *   cache/              log-mel features of every training file, keyed by content + features
 *   checkpoints/iter-N/ full training state (all networks, both optimisers, RNG, statistics)
 *   export/iter-N/      inference model: generators + features + statistics (for `convert`)
 *   samples/iter-N/     held-out clips converted both ways: WAVs and one PNG per clip
 *   losses.jsonl        one JSON line per iteration
 *   losses.png          the loss curves, redrawn at every checkpoint
 */
export function runPaths(out: string) {
  return {
    root: out,
    runJson: join(out, 'run.json'),
    cache: join(out, 'cache'),
    checkpoints: join(out, 'checkpoints'),
    exports: join(out, 'export'),
    samples: join(out, 'samples'),
    losses: join(out, 'losses.jsonl'),
    lossPlot: join(out, 'losses.png'),
  };
}

export type RunPaths = ReturnType<typeof runPaths>;

/** `iter-00001234`: zero-padded so that names sort by iteration. */
export function iterationDirName(iteration: number): string {
  return `iter-${String(iteration).padStart(8, '0')}`;
}

export function parseIterationDirName(name: string): number | null {
  const m = /^iter-(\d{8,})$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** run.json of a run directory; a folder without one is not a run. */
export function readRunSettings(runDir: string): RunConfig {
  if (!existsSync(runDir)) throw new FileError(runDir, 'no such folder');
  if (!statSync(runDir).isDirectory()) throw new FileError(runDir, 'not a folder (expected a training run directory)');
  const path = runPaths(runDir).runJson;
  if (!existsSync(path)) throw new FileError(runDir, 'not a voiceswap training run (no run.json); give the --out folder of `voiceswap train`');
  let run: Partial<RunConfig>;
  try {
    run = JSON.parse(readFileSync(path, 'utf8')) as Partial<RunConfig>;
  } catch (err) {
    throw new FileError(path, `cannot read run settings (${(err as Error).message})`);
  }
  if (run?.format !== 'voiceswap-run') throw new FileError(path, 'not the settings of a voiceswap training run (no "format": "voiceswap-run")');
  return run as RunConfig;
}

/** Delete what a run that never reached its first checkpoint wrote (kept: the feature cache, valid for any run). */
export function removeUncheckpointedRun(paths: RunPaths): void {
  for (const path of [paths.runJson, paths.losses, paths.lossPlot, paths.samples, paths.exports]) rmSync(path, { recursive: true, force: true });
}

/**
 * Undo a start that failed before its first checkpoint, so the folder is as before: all of
 * it when this start created it, else what the start wrote (and the cache if it made it).
 */
export function removeFailedStart(paths: RunPaths, created: { root: boolean; cache: boolean }): void {
  if (created.root) {
    rmSync(paths.root, { recursive: true, force: true });
    return;
  }
  removeUncheckpointedRun(paths);
  if (created.cache) rmSync(paths.cache, { recursive: true, force: true });
  if (existsSync(paths.checkpoints) && readdirSync(paths.checkpoints).length === 0) rmSync(paths.checkpoints, { recursive: true });
}
