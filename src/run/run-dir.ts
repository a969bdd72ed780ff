import { existsSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FileError, VoiceswapError } from '../errors.js';
import { removeStaleTemporaries } from '../io/atomic.js';

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

/**
 * Refuse data and run folders that overlap: the same folder for both speakers (one voice
 * trained into another copy of itself), one speaker's folder inside the other's, or a run
 * folder inside a data folder (its sample WAVs would become training data on the next start).
 */
export function assertRunFolders(dirA: string, dirB: string, out: string): void {
  const [a, b, o] = [dirA, dirB, out].map(realPathOrResolved);
  if (a === b) throw new VoiceswapError(`--a and --b are the same folder (${dirA}): give each speaker's recordings in a folder of its own`);
  if (isInside(b, a)) throw new VoiceswapError(`--b ${dirB} lies inside --a ${dirA}: its recordings would train both speakers`);
  if (isInside(a, b)) throw new VoiceswapError(`--a ${dirA} lies inside --b ${dirB}: its recordings would train both speakers`);
  for (const [flag, dir, real] of [['--a', dirA, a], ['--b', dirB, b]] as const) {
    if (o === real || isInside(o, real)) throw new VoiceswapError(`--out ${out} lies inside the data folder ${flag} ${dir}: the run's sample WAVs would become training data; choose another --out`);
  }
  for (const dir of [dirA, dirB]) assertReadableFolder(dir);
}

function assertReadableFolder(dir: string): void {
  try {
    if (!statSync(dir).isDirectory()) throw new FileError(dir, 'not a folder');
    readdirSync(dir);
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new FileError(dir, `cannot read folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function realPathOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel);
}

/**
 * What crashed writers left in a run folder: interrupted checkpoint or export replacements
 * are finished, temporary files and folders (`.iter-N.PID.TIME.tmp`, `samples/iter-N.tmp-PID`,
 * ...) are deleted. Returns how many were deleted.
 */
export function removeRunTemporaries(paths: RunPaths): number {
  return [paths.root, paths.checkpoints, paths.exports, paths.samples, paths.cache].reduce((n, dir) => n + removeStaleTemporaries(dir).length, 0);
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
