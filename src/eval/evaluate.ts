/**
 * `voiceswap evaluate CONVERTED_DIR TARGET_DIR`: objective comparison of converted
 * utterances with the target speaker saying the same sentences (a parallel dev set).
 * Per file pair: mel-cepstral distortion after DTW, median F0 of each side, log-F0 error
 * in cents and voicing agreement along the same DTW path, voiced-frame share of each side.
 * Optionally the same figures for the unconverted source (source vs target), so the gain
 * a model brings is visible. The method is documented in docs/evaluation.md.
 */
import { join } from 'node:path';
import { loadAudio } from '../audio/load.js';
import { listWavFiles } from '../io/wav-files.js';
import { FileError, VoiceswapError } from '../errors.js';
import { DEFAULT_F0_CONFIG, median, trackF0, type F0Config, type F0Track } from '../audio/pitch.js';
import { compareF0 } from './f0-compare.js';
import { DEFAULT_SILENCE_DB, melCepstralDistortion } from './mcd.js';
import { DEFAULT_MEL_CEPSTRUM_CONFIG, melCepstrogram, type MelCepstrogram, type MelCepstrumConfig } from './mel-cepstrum.js';

/** Every analysis parameter; stored in the report so figures can be reproduced. */
export interface EvaluationConfig {
  /** Audio is resampled to this rate before analysis (Hz). */
  sampleRate: number;
  /** Mel-cepstrum frame length / FFT size and the hop shared by the mel-cepstra and F0 (samples). */
  nFft: number;
  hopLength: number;
  /** Mel-cepstrum order M (MCD over c1..cM) and all-pass constant. */
  order: number;
  alpha: number;
  /** Spectral floor below the file's strongest bin (dB). */
  floorDb: number;
  /** Frames more than this below the file's loudest frame are silent (dB). */
  silenceDb: number;
  /** F0 search range (Hz) and YIN thresholds. */
  f0MinHz: number;
  f0MaxHz: number;
  yinDipThreshold: number;
  voicingThreshold: number;
}

export const DEFAULT_EVALUATION_CONFIG: Readonly<EvaluationConfig> = Object.freeze({
  sampleRate: DEFAULT_MEL_CEPSTRUM_CONFIG.sampleRate,
  nFft: DEFAULT_MEL_CEPSTRUM_CONFIG.nFft,
  hopLength: DEFAULT_MEL_CEPSTRUM_CONFIG.hopLength,
  order: DEFAULT_MEL_CEPSTRUM_CONFIG.order,
  alpha: DEFAULT_MEL_CEPSTRUM_CONFIG.alpha,
  floorDb: DEFAULT_MEL_CEPSTRUM_CONFIG.floorDb,
  silenceDb: DEFAULT_SILENCE_DB,
  f0MinHz: DEFAULT_F0_CONFIG.fMinHz,
  f0MaxHz: DEFAULT_F0_CONFIG.fMaxHz,
  yinDipThreshold: DEFAULT_F0_CONFIG.dipThreshold,
  voicingThreshold: DEFAULT_F0_CONFIG.voicingThreshold,
});

/**
 * For telephone recordings (8 kHz, nothing above 4 kHz): analysis at 8 kHz, so the MCD covers
 * 0-4 kHz only, with the all-pass constant that approximates the mel scale at that rate
 * (0.31) and frames of about the default's length and hop (32 ms, 8 ms).
 */
export const TELEPHONE_EVALUATION_CONFIG: Readonly<EvaluationConfig> = Object.freeze({
  ...DEFAULT_EVALUATION_CONFIG,
  sampleRate: 8000,
  nFft: 256,
  hopLength: 64,
  alpha: 0.31,
});

export interface EvaluationOptions extends Partial<EvaluationConfig> {
  /** The source speaker's recordings of the same sentences: also report them as "unconverted". */
  sourceDir?: string;
}

/** One converted (or source) file compared with its target. Null where a figure is undefined (no voiced frames). */
export interface PairRow {
  /** The pairing key, e.g. "dev01". */
  name: string;
  /** File names inside their folders. */
  converted: string;
  target: string;
  /** Mean MCD over the aligned frame pairs (dB). */
  mcdDb: number;
  /** DTW path length, and each side's non-silent frames. */
  alignedFrames: number;
  convertedFrames: number;
  targetFrames: number;
  /** Median F0 over each side's voiced non-silent frames (Hz). */
  convertedMedianF0Hz: number | null;
  targetMedianF0Hz: number | null;
  /** Over aligned pairs voiced on both sides: RMS and mean of 1200·log2(F0_converted / F0_target). */
  f0RmseCents: number | null;
  f0MeanCents: number | null;
  /** Voiced share of each side's non-silent frames. */
  convertedVoicedShare: number;
  targetVoicedShare: number;
  /** Standard deviation of ln F0 over each side's voiced non-silent frames (intonation range; 0.1 ≈ 1.7 semitones). */
  convertedLogF0Spread: number | null;
  targetLogF0Spread: number | null;
  /** Share of aligned pairs where both sides agree on voiced / unvoiced. */
  voicingAgreement: number;
}

/** Totals over all pairs of one comparison; see docs/evaluation.md for how each is pooled. */
export interface ComparisonTotals {
  files: number;
  /** Headline: the mean of the per-file MCDs (each sentence counts once). */
  mcdDb: number;
  /** Mean over every aligned frame pair of every file. */
  mcdFrameWeightedDb: number;
  alignedFrames: number;
  convertedMedianF0Hz: number | null;
  targetMedianF0Hz: number | null;
  f0RmseCents: number | null;
  f0MeanCents: number | null;
  convertedVoicedShare: number;
  targetVoicedShare: number;
  /** Over the voiced frames of all files pooled. */
  convertedLogF0Spread: number | null;
  targetLogF0Spread: number | null;
  voicingAgreement: number;
}

export interface Comparison {
  /** The folder compared with the targets (converted or source). */
  dir: string;
  rows: PairRow[];
  total: ComparisonTotals;
  /** .wav files of `dir` with no target, and targets with no file in `dir`. */
  unmatched: string[];
  unmatchedTargets: string[];
}

export interface EvaluationReport {
  targetDir: string;
  converted: Comparison;
  /** Source vs target with the same method, when options.sourceDir was given. */
  unconverted: Comparison | null;
  config: EvaluationConfig;
}

export interface FilePair {
  name: string;
  converted: string;
  target: string;
}

export interface Pairing {
  pairs: FilePair[];
  unmatched: string[];
  unmatchedTargets: string[];
}

const WAV_EXTENSION = /\.wav$/i;
const DIRECTION_INFIX = /\.(a2b|b2a)$/;

/**
 * The pairing key of a file name, or null for a non-.wav file: the name without `.wav`
 * (any case) and, for converted files, without a trailing `.a2b` / `.b2a` direction infix,
 * so `dev01.a2b.wav` and `dev01.wav` both pair with the target `dev01.wav`.
 */
export function pairingKey(fileName: string, stripDirection: boolean): string | null {
  if (!WAV_EXTENSION.test(fileName)) return null;
  const stem = fileName.replace(WAV_EXTENSION, '');
  return stripDirection ? stem.replace(DIRECTION_INFIX, '') : stem;
}

const byName = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** Pair converted file names with target file names by key (see pairingKey). */
export function pairFiles(convertedNames: string[], targetNames: string[], convertedDir = 'converted'): Pairing {
  const targets = new Map<string, string>();
  for (const name of targetNames) {
    const key = pairingKey(name, false);
    if (key !== null) targets.set(key, name);
  }
  const converted = new Map<string, string>();
  for (const name of [...convertedNames].sort(byName)) {
    const key = pairingKey(name, true);
    if (key === null) continue;
    const clash = converted.get(key);
    if (clash !== undefined) {
      throw new FileError(convertedDir, `both ${clash} and ${name} pair with the target ${key}.wav; keep one of them`);
    }
    converted.set(key, name);
  }
  const pairs: FilePair[] = [];
  const unmatched: string[] = [];
  for (const [key, name] of converted) {
    const target = targets.get(key);
    if (target === undefined) unmatched.push(name);
    else pairs.push({ name: key, converted: name, target });
  }
  const unmatchedTargets = [...targets].filter(([key]) => !converted.has(key)).map(([, name]) => name);
  pairs.sort((a, b) => byName(a.name, b.name));
  return { pairs, unmatched: unmatched.sort(byName), unmatchedTargets: unmatchedTargets.sort(byName) };
}

/** What evaluate and recognize compare: the .wav names directly inside a folder that must hold some, in natural order. */
export const WAV_NAMES = Object.freeze({ as: 'names', required: true, order: 'natural' } as const);

/** Everything measured on one file. */
interface Analysis {
  cepstra: MelCepstrogram;
  f0: F0Track;
}

function analyzeFile(path: string, cfg: Readonly<EvaluationConfig>): Analysis {
  const { samples } = loadAudio(path, cfg.sampleRate);
  const cepstrumConfig: MelCepstrumConfig = {
    sampleRate: cfg.sampleRate, nFft: cfg.nFft, hopLength: cfg.hopLength, order: cfg.order, alpha: cfg.alpha, floorDb: cfg.floorDb,
  };
  const f0Config: F0Config = {
    sampleRate: cfg.sampleRate, hopLength: cfg.hopLength, fMinHz: cfg.f0MinHz, fMaxHz: cfg.f0MaxHz,
    dipThreshold: cfg.yinDipThreshold, voicingThreshold: cfg.voicingThreshold, silenceDb: cfg.silenceDb,
  };
  return { cepstra: melCepstrogram(samples, cepstrumConfig), f0: trackF0(samples, f0Config) };
}

/** F0 of the voiced frames among `frames`. */
function voicedValues(track: F0Track, frames: Int32Array): number[] {
  const out: number[] = [];
  for (const t of frames) if (track.voiced[t]) out.push(track.f0Hz[t]);
  return out;
}

const nullIfNaN = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Standard deviation of ln F0 over voiced F0 values (null for fewer than two). */
function logSpread(f0Hz: readonly number[]): number | null {
  if (f0Hz.length < 2) return null;
  const logs = f0Hz.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  return Math.sqrt(logs.reduce((a, v) => a + (v - mean) ** 2, 0) / logs.length);
}

/** Raw sums of one pair, kept so totals can pool frames across files. */
interface PairSums {
  row: PairRow;
  mcdSumDb: number;
  convertedVoiced: number[];
  targetVoiced: number[];
  agreeing: number;
  bothVoiced: number;
  sumCents: number;
  sumSquaredCents: number;
}

function comparePair(pair: FilePair, converted: Analysis, target: Analysis, silenceDb: number): PairSums {
  const mcd = melCepstralDistortion(converted.cepstra, target.cepstra, silenceDb);
  const f0 = compareF0(converted.f0, target.f0, mcd.path);
  const convertedVoiced = voicedValues(converted.f0, mcd.framesA);
  const targetVoiced = voicedValues(target.f0, mcd.framesB);
  const row: PairRow = {
    name: pair.name,
    converted: pair.converted,
    target: pair.target,
    mcdDb: mcd.mcdDb,
    alignedFrames: f0.pairs,
    convertedFrames: mcd.framesA.length,
    targetFrames: mcd.framesB.length,
    convertedMedianF0Hz: nullIfNaN(median(convertedVoiced)),
    targetMedianF0Hz: nullIfNaN(median(targetVoiced)),
    f0RmseCents: f0.bothVoiced > 0 ? Math.sqrt(f0.sumSquaredCents / f0.bothVoiced) : null,
    f0MeanCents: f0.bothVoiced > 0 ? f0.sumCents / f0.bothVoiced : null,
    convertedVoicedShare: convertedVoiced.length / mcd.framesA.length,
    targetVoicedShare: targetVoiced.length / mcd.framesB.length,
    convertedLogF0Spread: logSpread(convertedVoiced),
    targetLogF0Spread: logSpread(targetVoiced),
    voicingAgreement: f0.agreeing / f0.pairs,
  };
  return { row, mcdSumDb: mcd.sumDb, convertedVoiced, targetVoiced, ...f0 };
}

function totals(sums: PairSums[]): ComparisonTotals {
  const rows = sums.map((s) => s.row);
  const add = (f: (s: PairSums) => number): number => sums.reduce((acc, s) => acc + f(s), 0);
  const alignedFrames = add((s) => s.row.alignedFrames);
  const bothVoiced = add((s) => s.bothVoiced);
  const convertedVoiced = sums.flatMap((s) => s.convertedVoiced);
  const targetVoiced = sums.flatMap((s) => s.targetVoiced);
  return {
    files: rows.length,
    mcdDb: rows.reduce((acc, r) => acc + r.mcdDb, 0) / rows.length,
    mcdFrameWeightedDb: add((s) => s.mcdSumDb) / alignedFrames,
    alignedFrames,
    convertedMedianF0Hz: nullIfNaN(median(convertedVoiced)),
    targetMedianF0Hz: nullIfNaN(median(targetVoiced)),
    f0RmseCents: bothVoiced > 0 ? Math.sqrt(add((s) => s.sumSquaredCents) / bothVoiced) : null,
    f0MeanCents: bothVoiced > 0 ? add((s) => s.sumCents) / bothVoiced : null,
    convertedVoicedShare: convertedVoiced.length / add((s) => s.row.convertedFrames),
    targetVoicedShare: targetVoiced.length / add((s) => s.row.targetFrames),
    convertedLogF0Spread: logSpread(convertedVoiced),
    targetLogF0Spread: logSpread(targetVoiced),
    voicingAgreement: add((s) => s.agreeing) / alignedFrames,
  };
}

function compareDir(dir: string, targetDir: string, targetNames: string[], cfg: Readonly<EvaluationConfig>, targetAnalysis: (name: string) => Analysis): Comparison {
  const pairing = pairFiles(listWavFiles(dir, WAV_NAMES), targetNames, dir);
  if (pairing.pairs.length === 0) {
    throw new VoiceswapError(
      `no .wav file in ${dir} pairs with one in ${targetDir} (files pair by name: dev01.wav or dev01.a2b.wav with dev01.wav)`,
    );
  }
  const sums = pairing.pairs.map((pair) =>
    comparePair(pair, analyzeFile(join(dir, pair.converted), cfg), targetAnalysis(pair.target), cfg.silenceDb),
  );
  return { dir, rows: sums.map((s) => s.row), total: totals(sums), unmatched: pairing.unmatched, unmatchedTargets: pairing.unmatchedTargets };
}

/**
 * Compare every .wav in convertedDir with the same-named .wav in targetDir (and, with
 * options.sourceDir, the source files too, as the "unconverted" baseline).
 */
export function evaluatePairs(convertedDir: string, targetDir: string, options: EvaluationOptions = {}): EvaluationReport {
  const { sourceDir, ...overrides } = options;
  const config: EvaluationConfig = { ...DEFAULT_EVALUATION_CONFIG };
  for (const [key, value] of Object.entries(overrides) as [keyof EvaluationConfig, number | undefined][]) {
    if (value !== undefined) config[key] = value;
  }
  const targetNames = listWavFiles(targetDir, WAV_NAMES);
  const cache = new Map<string, Analysis>();
  const targetAnalysis = (name: string): Analysis => {
    let analysis = cache.get(name);
    if (!analysis) {
      analysis = analyzeFile(join(targetDir, name), config);
      cache.set(name, analysis);
    }
    return analysis;
  };
  const converted = compareDir(convertedDir, targetDir, targetNames, config, targetAnalysis);
  const unconverted = sourceDir === undefined ? null : compareDir(sourceDir, targetDir, targetNames, config, targetAnalysis);
  return { targetDir, converted, unconverted, config };
}

// ---------------------------------------------------------------------------------------
// Text table

// Fields added later (the ln-F0 spreads) are absent from older saved reports: shown as '-'.
const fixed = (digits: number) => (x: number | null | undefined): string => (x == null ? '-' : x.toFixed(digits));
const percent = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(0)}%`);
const signedCents = (x: number | null): string => (x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(0)}`);

/** The figures of a table row, formatted: shared by the text table and the HTML run report. */
export const EVALUATION_COLUMNS: readonly { title: string; cell: (r: PairRow | ComparisonTotals) => string }[] = [
  { title: 'MCD dB', cell: (r) => fixed(2)(r.mcdDb) },
  { title: 'F0 conv Hz', cell: (r) => fixed(1)(r.convertedMedianF0Hz) },
  { title: 'F0 tgt Hz', cell: (r) => fixed(1)(r.targetMedianF0Hz) },
  { title: 'F0 diff ct', cell: (r) => signedCents(r.f0MeanCents) },
  { title: 'F0 RMSE ct', cell: (r) => fixed(0)(r.f0RmseCents) },
  { title: 'voiced conv', cell: (r) => percent(r.convertedVoicedShare) },
  { title: 'voiced tgt', cell: (r) => percent(r.targetVoicedShare) },
  { title: 'lnF0 sd conv', cell: (r) => fixed(3)(r.convertedLogF0Spread) },
  { title: 'lnF0 sd tgt', cell: (r) => fixed(3)(r.targetLogF0Spread) },
  { title: 'V/UV agree', cell: (r) => percent(r.voicingAgreement) },
];

function table(comparison: Comparison): string[] {
  const body = comparison.rows.map((r) => [r.name, ...EVALUATION_COLUMNS.map((c) => c.cell(r))]);
  const total = comparison.total;
  const footer = [`mean (${total.files} files)`, ...EVALUATION_COLUMNS.map((c) => c.cell(total))];
  const header = ['file', ...EVALUATION_COLUMNS.map((c) => c.title)];
  const all = [header, ...body, footer];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]): string => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const lines = [line(header), rule, ...body.map(line), rule, line(footer)];
  lines.push(`frame-weighted MCD ${total.mcdFrameWeightedDb.toFixed(2)} dB over ${total.alignedFrames} aligned frames`);
  if (comparison.unmatched.length > 0) lines.push(`no target for: ${comparison.unmatched.join(', ')}`);
  if (comparison.unmatchedTargets.length > 0) lines.push(`targets without a file here: ${comparison.unmatchedTargets.join(', ')}`);
  return lines;
}

/** The report as aligned text tables (converted, then unconverted), with a one-line summary. */
export function formatReportTable(report: EvaluationReport): string {
  const { converted, unconverted } = report;
  const lines = [`converted: ${converted.dir}  vs  target: ${report.targetDir}`, ...table(converted)];
  if (unconverted) {
    lines.push('', `unconverted: ${unconverted.dir}  vs  target: ${report.targetDir}`, ...table(unconverted));
    lines.push('', `MCD ${converted.total.mcdDb.toFixed(2)} dB converted, ${unconverted.total.mcdDb.toFixed(2)} dB unconverted (mean over files)`);
  }
  return lines.join('\n') + '\n';
}
