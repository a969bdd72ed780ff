import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { renderLineChartPng, type LineSeries } from '../viz/line-chart.js';
import type { LossValues } from './step.js';

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

export function readLossRecords(path: string): LossRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LossRecord];
      } catch {
        return []; // a line cut short by a kill: the iteration is redone after resume
      }
    });
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
