import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { FileError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { renderLineChartPng, type LineSeries } from '../viz/line-chart.js';

/** Loss values of one iteration (before the updates), as plain numbers. */
export interface LossValues {
  /** LSGAN generator loss, both directions summed. */
  gAdv: number;
  /** Cycle-consistency L1, both directions summed (unweighted). */
  cycle: number;
  /** Identity L1, both directions summed (unweighted); null when its weight is 0 (not computed). */
  identity: number | null;
  /** The generators' total loss (weighted). */
  gTotal: number;
  /** Discriminator losses 0.5 * (real term + fake term) of D_A and D_B. */
  dA: number;
  dB: number;
}

/** One line of losses.jsonl. */
export interface LossRecord extends LossValues {
  iteration: number;
  /** Seconds since the run started (summed over resumed sessions). */
  time: number;
  lrG: number;
  lrD: number;
  identityWeight: number;
}

export function appendLossRecord(path: string, record: LossRecord): void {
  appendFileSync(path, JSON.stringify(record) + '\n');
}

/** The records of losses.jsonl; a line that parses but is not a record is a FileError naming it. */
export function readLossRecords(path: string): LossRecord[] {
  if (!existsSync(path)) return [];
  const records: LossRecord[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim().length === 0) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return; // a line cut short by a kill: the iteration is redone after resume
      }
      const problem = lossRecordProblem(parsed);
      if (problem !== null) throw new FileError(path, `line ${i + 1} is not a loss record (${problem})`);
      records.push(parsed as LossRecord);
    });
  return records;
}

/** What makes `r` unusable as a LossRecord (the report and the resume read every field), or null. */
function lossRecordProblem(r: unknown): string | null {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'not a JSON object';
  const o = r as Record<string, unknown>;
  if (!Number.isInteger(o.iteration) || (o.iteration as number) < 1) return '"iteration" is not a whole number from 1';
  for (const key of ['time', 'lrG', 'lrD', 'identityWeight']) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key])) return `"${key}" is not a number`;
  }
  // JSON has no NaN: a loss that was not finite (or not computed) is written as null.
  for (const key of ['gAdv', 'cycle', 'identity', 'gTotal', 'dA', 'dB']) {
    if (o[key] !== null && typeof o[key] !== 'number') return `"${key}" is not a number`;
  }
  return null;
}

/** On resume: forget the records of iterations after the checkpoint (they will be redone). */
export function truncateLossRecords(path: string, lastIteration: number): LossRecord[] {
  const kept = readLossRecords(path).filter((r) => r.iteration <= lastIteration);
  writeFileAtomic(path, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  return kept;
}

/** Loss curves, smoothed with a moving average so the trend shows through GAN noise. */
export function renderLossPlot(records: LossRecord[]): Uint8Array {
  const window = Math.max(1, Math.round(records.length / 100));
  const xs = records.map((r) => r.iteration);
  const series = (name: string, pick: (r: LossRecord) => number | null): LineSeries => ({
    name,
    xs,
    ys: movingAverage(records.map((r) => pick(r) ?? NaN), window),
  });
  return renderLineChartPng(
    [
      series('G adversarial', (r) => r.gAdv),
      series('cycle L1', (r) => r.cycle),
      series('identity L1', (r) => r.identity),
      series('D_A', (r) => r.dA),
      series('D_B', (r) => r.dB),
    ],
    { title: `training losses (moving average over ${window} iterations)`, xLabel: 'iteration', yLabel: 'loss', logY: true },
  );
}

function movingAverage(values: number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  let count = 0;
  const queue: number[] = [];
  for (const v of values) {
    queue.push(v);
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
    if (queue.length > window) {
      const old = queue.shift()!;
      if (Number.isFinite(old)) {
        sum -= old;
        count--;
      }
    }
    out.push(Number.isFinite(v) && count > 0 ? sum / count : NaN);
  }
  return out;
}
