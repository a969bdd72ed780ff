/** Shared pieces of the benchmarks: the result row, timing, the fixture folder. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discriminatorModules } from '../src/model/discriminator.js';
import { generatorModules } from '../src/model/generator.js';
import { convPadding } from '../src/model/layers.js';
import { traceModules } from '../src/model/modules.js';
import type { ModelConfig } from '../src/model/presets.js';

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

/** One convolution of the model to time: NHWC input, HWIO filter, stride and padding as the model runs it. */
export interface ConvLayer {
  label: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: [number, number];
  pad: ReturnType<typeof convPadding>;
}

/**
 * The named convs of the generator ('G', generatorModules) and discriminator ('D',
 * discriminatorModules) of `config` on [batch, nMels, frames] crops, with the shapes the
 * model code traces for them: the benchmarks restate no layer.
 */
export function modelConvLayers(config: ModelConfig, batch: number, frames: number, picks: ReadonlyArray<readonly ['G' | 'D', string]>): ConvLayer[] {
  const input = { height: config.nMels, width: frames, channels: 1 };
  const convs = { G: traceModules(generatorModules(config), input).convs, D: traceModules(discriminatorModules(config), input).convs };
  return picks.map(([net, name]) => {
    const call = convs[net].find((c) => c.spec.name === name);
    if (call === undefined) throw new Error(`the ${net === 'G' ? 'generator' : 'discriminator'} has no conv '${name}'`);
    const { spec, input: x } = call;
    const [kh, kw] = spec.kernel;
    const stride = spec.stride[0] === spec.stride[1] ? `s${spec.stride[0]} ` : `s(${spec.stride.join(',')}) `;
    return {
      label: `${net} ${name} ${spec.inChannels}->${spec.outChannels} k(${kh},${kw}) ${spec.stride[0] * spec.stride[1] > 1 ? stride : ''}${x.height}x${x.width}`,
      x: [batch, x.height, x.width, x.channels],
      filter: [kh, kw, spec.inChannels, spec.outChannels],
      stride: spec.stride,
      pad: convPadding(spec),
    };
  });
}

/** The recordings the conversion benchmarks convert: the alice dev set, or the demo clips where it is missing. */
const CONVERT_INPUT_DIRS = ['samples/dev/alice', 'samples/demo'];

export function convertBenchInputs(root: string): string[] {
  for (const dir of CONVERT_INPUT_DIRS.map((d) => join(root, d))) {
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.wav')).sort();
    if (files.length > 0) return files.map((f) => join(dir, f));
  }
  throw new Error(`no input WAVs in ${CONVERT_INPUT_DIRS.join(' or ')} under ${root}`);
}

/** The convolutions both kernel benchmarks time: the generator's and one discriminator layer of the small preset. */
export const BENCH_CONVS: ReadonlyArray<readonly ['G' | 'D', string]> = [
  ['G', 'conv_in'],
  ['G', 'down1/conv'],
  ['G', 'up1/conv'],
  ['G', 'res1/conv1'],
  ['G', 'conv_out'],
  ['D', 'down2/conv'],
];
