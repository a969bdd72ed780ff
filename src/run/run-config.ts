import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FeatureConfig } from '../audio/config.js';
import { FileError, VoiceswapError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { listWavFiles } from '../io/wav-files.js';
import { upgradeModelConfig, type ModelConfig } from '../model/presets.js';
import { runPaths } from './run-dir.js';
import { defaultSchedule, type Schedule } from './schedule.js';

/** Everything that defines a training run; saved as run.json and inside every checkpoint. */
export interface RunConfig {
  format: 'voiceswap-run';
  version: 1;
  dirA: string;
  dirB: string;
  model: ModelConfig;
  features: FeatureConfig;
  schedule: Schedule;
  batch: number;
  frames: number;
  seed: number;
  /** Held-out clips (not trained on), converted at every sample point. */
  heldOut: { a: string[]; b: string[] };
  /** How often it samples and checkpoints, and how many it keeps (runs started before this was saved have none). */
  session?: RunSession;
}

export interface RunSession {
  sampleEvery: number;
  checkpointEvery: number;
  keep: number;
}

/** What a command asks of a run: the settings of a new one, or the changes to a resumed one. */
export interface RunRequest extends RunSession {
  dirA: string;
  dirB: string;
  model: ModelConfig;
  iterations: number;
  batch: number;
  frames: number;
  seed: number;
  /** Changes to the default schedule (loss weights, identity-loss span, learning rates). */
  schedule?: Partial<Omit<Schedule, 'total'>>;
}

const HELD_OUT_PER_SPEAKER = 2;

/** The settings of a new run. */
export function freshRunConfig(o: RunRequest, features: FeatureConfig): RunConfig {
  if (o.frames % 4 !== 0 || o.frames < 8) throw new VoiceswapError(`--frames must be a multiple of 4 and at least 8, got ${o.frames}`);
  return {
    format: 'voiceswap-run',
    version: 1,
    dirA: resolve(o.dirA),
    dirB: resolve(o.dirB),
    model: o.model,
    features,
    schedule: checkedSchedule({ ...defaultSchedule(o.iterations), ...o.schedule }),
    batch: o.batch,
    frames: o.frames,
    seed: o.seed,
    heldOut: { a: pickHeldOut(resolve(o.dirA)), b: pickHeldOut(resolve(o.dirB)) },
    session: sessionOf(o),
  };
}

/**
 * The run settings of a resumed run: the checkpoint's, with what `o` changes. A new length
 * moves what follows from it (decay start, identity-loss span) unless those were set by
 * hand; loss weights and noise stay as saved unless `o.schedule` names them.
 */
export function resumedRunConfig(saved: RunConfig, o: RunRequest): RunConfig {
  let schedule = saved.schedule;
  if (o.iterations !== schedule.total) {
    const was = defaultSchedule(schedule.total);
    const now = defaultSchedule(o.iterations);
    schedule = {
      ...schedule,
      total: o.iterations,
      decayStart: schedule.decayStart === was.decayStart ? now.decayStart : schedule.decayStart,
      identityUntil: schedule.identityUntil === was.identityUntil ? now.identityUntil : schedule.identityUntil,
    };
  }
  return { ...saved, schedule: checkedSchedule({ ...schedule, ...o.schedule }), session: sessionOf(o) };
}

/** 'iterations 6 -> 10'-style lines for every schedule or session setting that differs. */
export function runChanges(saved: RunConfig, run: RunConfig): string[] {
  const changes: string[] = [];
  for (const key of Object.keys(run.schedule) as (keyof Schedule)[]) {
    if (saved.schedule[key] !== run.schedule[key]) changes.push(`${key === 'total' ? 'iterations' : key} ${saved.schedule[key]} -> ${run.schedule[key]}`);
  }
  for (const key of ['sampleEvery', 'checkpointEvery', 'keep'] as const) {
    if (saved.session && run.session && saved.session[key] !== run.session[key]) changes.push(`${key} ${saved.session[key]} -> ${run.session[key]}`);
  }
  return changes;
}

function sessionOf(o: RunSession): RunSession {
  return { sampleEvery: o.sampleEvery, checkpointEvery: o.checkpointEvery, keep: o.keep };
}

/** A checkpoint's run settings as this version reads them: options added since get their old behaviour. */
export function upgradeRunConfig(run: RunConfig): RunConfig {
  return {
    ...run,
    model: upgradeModelConfig(run.model) as ModelConfig,
    schedule: { ...run.schedule, cycleNoise: run.schedule.cycleNoise ?? 0 },
  };
}

function checkedSchedule(s: Schedule): Schedule {
  for (const key of ['lrG', 'lrD', 'cycleWeight', 'identityWeight', 'identityUntil', 'decayStart', 'cycleNoise'] as const) {
    if (!Number.isFinite(s[key]) || s[key] < 0) throw new VoiceswapError(`schedule ${key} must be a number >= 0, got ${s[key]}`);
  }
  return s;
}

/** Settings a resumed run must share with its checkpoint. */
export function assertResumable(saved: RunConfig, requested: RunConfig, where: string): void {
  const differences: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(saved.model, requested.model)) differences.push(`model ${saved.model.preset} (scale ${saved.model.scale}) vs requested ${requested.model.preset} (scale ${requested.model.scale})`);
  if (!same(saved.features, requested.features)) differences.push('feature config');
  if (saved.batch !== requested.batch) differences.push(`batch ${saved.batch} vs ${requested.batch}`);
  if (saved.frames !== requested.frames) differences.push(`frames ${saved.frames} vs ${requested.frames}`);
  if (saved.seed !== requested.seed) differences.push(`seed ${saved.seed} vs ${requested.seed}`);
  if (saved.dirA !== requested.dirA || saved.dirB !== requested.dirB) differences.push(`data folders ${saved.dirA}, ${saved.dirB} vs ${requested.dirA}, ${requested.dirB}`);
  if (differences.length > 0) {
    throw new VoiceswapError(`${where}: checkpoint does not match this command (${differences.join('; ')}); resume with the run's own settings (see run.json) or train into another --out`);
  }
}

/**
 * Two fixed clips per speaker kept out of training for the periodic samples: spread over
 * the sorted file list (not the first or last file). With fewer than 6 files nothing is
 * held out (too little data to spare) and the first file is used as the sample.
 */
function pickHeldOut(dir: string): string[] {
  const files = listWavFiles(dir, { recursive: true });
  if (files.length < 6) return [];
  return [files[Math.floor(files.length / 3)], files[Math.floor((2 * files.length) / 3)]].slice(0, HELD_OUT_PER_SPEAKER);
}

/** The sample clips of a run: its held-out files, or each speaker's first file when it has none. */
export function sampleClipFiles(run: RunConfig, speaker: 'a' | 'b'): string[] {
  const files = run.heldOut?.[speaker] ?? [];
  return files.length > 0 ? files : listWavFiles(speaker === 'a' ? run.dirA : run.dirB, { recursive: true }).slice(0, 1);
}

/** Write run.json (atomically). */
export function writeRunSettings(runDir: string, run: RunConfig): void {
  writeFileAtomic(runPaths(runDir).runJson, JSON.stringify(run, null, 2) + '\n');
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

