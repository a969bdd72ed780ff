/**
 * Read a training run directory (see src/run/run-dir.ts) into a plain data structure
 * for the HTML report: run settings, loss chart, held-out source clips, the sample points
 * chosen by --every / --last, and evaluation reports. All bytes are read here so that the
 * renderer is a pure function.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Direction } from '../convert/direction.js';
import { readLossRecords, renderLossPlot, type LossRecord } from '../run/loss-log.js';
import { readRunSettings, sampleClipFiles, type RunConfig } from '../run/run-config.js';
import { parseIterationDirName, runPaths } from '../run/run-dir.js';
import { readEvaluationFiles, type EvaluationEntry } from './eval-files.js';

/** A file to embed: its name (for captions and the MIME type) and contents. */
export interface EmbeddedFile {
  name: string;
  bytes: Uint8Array;
}

/** One held-out clip at one sample point; null where its file is missing. */
export interface SampleClip {
  /** File stem of the source recording, e.g. "alice023". */
  name: string;
  /** a2b for a clip of speaker A, b2a for speaker B. */
  direction: Direction;
  /** Source, converted and reconstructed spectrograms side by side. */
  png: EmbeddedFile | null;
  converted: EmbeddedFile | null;
  reconstructed: EmbeddedFile | null;
}

export interface SamplePoint {
  iteration: number;
  /** Training time up to this iteration (seconds), when losses.jsonl has it. */
  seconds: number | null;
  clips: SampleClip[];
}

/** A recording converted at every sample point, as it was before conversion. */
export interface SourceClip {
  name: string;
  speaker: 'a' | 'b';
  file: string;
  /** False when the speaker had too few files to spare one: the clip was also trained on. */
  heldOut: boolean;
  /** Null when the file no longer exists. */
  audio: EmbeddedFile | null;
}

/** Mean of each loss over the newest records (GAN losses are too noisy to read one step). */
export interface RecentLosses {
  fromIteration: number;
  toIteration: number;
  /** Null where no record in the window has the loss (identity after its last weighted iteration). */
  means: { gAdv: number | null; cycle: number | null; identity: number | null; dA: number | null; dB: number | null };
  lrG: number;
  lrD: number;
}

export interface RunReport {
  runDir: string;
  run: RunConfig;
  /** Newest iteration logged and the training time up to it (seconds); null before the first. */
  progress: { iteration: number; seconds: number } | null;
  /** Loss curves (PNG); null when nothing was logged yet. */
  lossChart: Uint8Array | null;
  recentLosses: RecentLosses | null;
  sources: SourceClip[];
  /** The selected sample points, oldest first. */
  samplePoints: SamplePoint[];
  /** Iterations of every sample point on disk (before --every / --last). */
  allSampleIterations: number[];
  evaluations: EvaluationEntry[];
  /** The run's files the report is made from (any sample point's, chosen or not): never an output. */
  inputFiles: string[];
  /** When the report was made (ISO 8601). */
  generatedAt: string;
}

export interface ReportSelection {
  /** Keep every N-th sample point (the first, the N+1-th, ...) and always the newest. */
  every?: number;
  /** Then keep only the newest N. */
  last?: number;
  /** Evaluation JSON files besides those in RUN_DIR/eval/. */
  evalFiles?: string[];
}

/** Iterations averaged for RecentLosses. */
const RECENT_LOSS_WINDOW = 100;

export function collectRunReport(runDir: string, selection: ReportSelection = {}): RunReport {
  const paths = runPaths(runDir);
  const run = readRunSettings(runDir);
  const records = readLossRecords(paths.losses);
  const sampleDirs = listSampleDirs(paths.samples);
  const allSampleIterations = [...sampleDirs.keys()];
  const chosen = selectSamplePoints(allSampleIterations, selection);
  const last = records.at(-1);
  const sources = sourceClips(run);
  const evaluations = readEvaluationFiles(join(paths.root, 'eval'), selection.evalFiles ?? []);
  const sampleFiles = [...sampleDirs.values()].flatMap((dir) => readdirSync(dir).map((name) => join(dir, name)));
  return {
    runDir: resolve(runDir),
    run,
    progress: last ? { iteration: last.iteration, seconds: last.time } : null,
    lossChart: lossChart(records, paths.lossPlot),
    recentLosses: recentLosses(records, RECENT_LOSS_WINDOW),
    sources,
    samplePoints: chosen.map((iteration) => ({
      iteration,
      seconds: records.find((r) => r.iteration === iteration)?.time ?? null,
      clips: readSampleClips(sampleDirs.get(iteration)!),
    })),
    allSampleIterations,
    evaluations,
    inputFiles: [paths.runJson, paths.losses, paths.lossPlot, ...sources.map((s) => s.file), ...sampleFiles, ...evaluations.map((e) => e.file)],
    generatedAt: new Date().toISOString(),
  };
}


/**
 * The sample points to show, oldest first: every `every`-th one counting from the first,
 * plus the newest (the state the user most wants to hear), then the newest `last` of those.
 */
export function selectSamplePoints(iterations: readonly number[], selection: Pick<ReportSelection, 'every' | 'last'>): number[] {
  const sorted = [...iterations].sort((a, b) => a - b);
  const every = selection.every ?? 1;
  let chosen = sorted.filter((_, i) => i % every === 0 || i === sorted.length - 1);
  if (selection.last !== undefined) chosen = chosen.slice(Math.max(0, chosen.length - selection.last));
  return chosen;
}

/** Iteration -> folder of each finished samples/iter-N (an in-progress `.tmp-PID` folder is skipped), oldest first. */
function listSampleDirs(samplesDir: string): Map<number, string> {
  if (!existsSync(samplesDir)) return new Map();
  const dirs = readdirSync(samplesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => [parseIterationDirName(e.name), join(samplesDir, e.name)] as const)
    .filter((entry): entry is readonly [number, string] => entry[0] !== null)
    .sort((x, y) => x[0] - y[0]);
  return new Map(dirs);
}

/**
 * The clips of one sample point folder, grouped from the names writeTrainingSamples gives them:
 * STEM.a2b.png, STEM.a2b.wav (converted), STEM.a2b.b2a.wav (reconstructed); likewise b2a.
 */
export function readSampleClips(dir: string): SampleClip[] {
  const clips = new Map<string, SampleClip>();
  const clip = (name: string, direction: Direction): SampleClip => {
    const key = `${name}.${direction}`;
    let c = clips.get(key);
    if (!c) {
      c = { name, direction, png: null, converted: null, reconstructed: null };
      clips.set(key, c);
    }
    return c;
  };
  const read = (file: string): EmbeddedFile => ({ name: file, bytes: readFileSync(join(dir, file)) });
  for (const file of readdirSync(dir).sort()) {
    let m: RegExpExecArray | null;
    if ((m = /^(.+)\.(a2b|b2a)\.(?:a2b|b2a)\.wav$/.exec(file))) clip(m[1], m[2] as Direction).reconstructed = read(file);
    else if ((m = /^(.+)\.(a2b|b2a)\.wav$/.exec(file))) clip(m[1], m[2] as Direction).converted = read(file);
    else if ((m = /^(.+)\.(a2b|b2a)\.png$/.exec(file))) clip(m[1], m[2] as Direction).png = read(file);
  }
  // Speaker A's clips first, then B's, each by name.
  return [...clips.values()].sort((x, y) => x.direction.localeCompare(y.direction) || x.name.localeCompare(y.name));
}

/**
 * The recordings the samples were converted from: run.json's held-out clips, or (when a
 * speaker had too few files to hold any out) the first file of the folder, as training does.
 */
function sourceClips(run: RunConfig): SourceClip[] {
  const clips: SourceClip[] = [];
  for (const speaker of ['a', 'b'] as const) {
    const heldOut = (run.heldOut?.[speaker] ?? []).length > 0;
    let files: string[];
    try {
      files = sampleClipFiles(run, speaker);
    } catch {
      files = []; // the data folder has moved since training: the report still shows the samples
    }
    for (const file of files) {
      const audio = existsSync(file) ? { name: basename(file), bytes: readFileSync(file) } : null;
      clips.push({ name: basename(file, extname(file)), speaker, file, heldOut, audio });
    }
  }
  return clips;
}

/** A fresh chart from losses.jsonl (losses.png is only redrawn at checkpoints); else losses.png. */
function lossChart(records: LossRecord[], lossPlot: string): Uint8Array | null {
  if (records.length > 0) return renderLossPlot(records);
  return existsSync(lossPlot) ? readFileSync(lossPlot) : null;
}

export function recentLosses(records: readonly LossRecord[], window: number): RecentLosses | null {
  if (records.length === 0) return null;
  const recent = records.slice(-window);
  const mean = (pick: (r: LossRecord) => number | null): number | null => {
    const values = recent.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
    return values.length > 0 ? values.reduce((s, v) => s + v, 0) / values.length : null;
  };
  const last = recent[recent.length - 1];
  return {
    fromIteration: recent[0].iteration,
    toIteration: last.iteration,
    means: { gAdv: mean((r) => r.gAdv), cycle: mean((r) => r.cycle), identity: mean((r) => r.identity), dA: mean((r) => r.dA), dB: mean((r) => r.dB) },
    lrG: last.lrG,
    lrD: last.lrD,
  };
}
