/** Shared pieces of the benchmarks: the result row, timing, the fixture folder. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

/** Wall-clock times (ms) of `runs` calls after `warmup` untimed calls (JIT), sorted ascending. */
export function timeRuns(run: () => unknown, runs: number, warmup: number): number[] {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

/** The middle element of an ascending list. */
export const medianOf = (sorted: number[]): number => sorted[Math.floor(sorted.length / 2)];

/** tests/fixtures, whether this runs from bench/ (source) or dist/bench/ (compiled). */
export function fixturesDir(): string {
  for (const up of ['../tests/fixtures/', '../../tests/fixtures/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('cannot find tests/fixtures next to the benchmark');
}

/** Best time (ms) of at least `minRuns` runs after one warm-up, continuing until ~`budgetMs` is spent. */
export function bestTimeMs(run: () => void, minRuns: number, budgetMs: number): number {
  run(); // warm-up: JIT, kernel set-up
  let best = Infinity;
  let spent = 0;
  for (let i = 0; i < minRuns || spent < budgetMs; i++) {
    const start = performance.now();
    run();
    const ms = performance.now() - start;
    best = Math.min(best, ms);
    spent += ms;
  }
  return best;
}

/** One convolution layer to time: NHWC input, HWIO filter, stride, 'same' padding. */
export interface ConvLayer {
  label: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
}
