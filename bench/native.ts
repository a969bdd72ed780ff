/**
 * The native backend (oneDNN addon, see native/): GFLOP/s of the kernels a CycleGAN-VC2
 * training step spends its time in, seconds per training iteration per preset, and where
 * the time of one small-preset iteration goes (per tfjs kernel, and outside the kernels).
 *
 *   benchNative()                      from npm run bench
 *   node dist/bench/native.js          the same, printed; VOICESWAP_NATIVE_THREADS=1 for one thread
 *
 * The PyTorch peer runs the same step on the same machine:
 *   /usr/bin/python3 ../shared/bench/torch_ref/cyclegan_vc2.py --scales 0.25 --batch 1 --threads 2
 * Run both back to back: a 2-core machine that is busy with other work slows either several-fold.
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { NATIVE_BACKEND, startNative } from '../src/backend/native/index.js';
import { presetConfig, type PresetName } from '../src/model/presets.js';
import { benchTrain } from '../src/train/benchmark.js';
import { CycleGanTrainer } from '../src/train/step.js';
import { BENCH_CONVS, bestTimeMs, modelConvLayers, type BenchResult, type ConvLayer } from './common.js';

// Convs of the small preset (widths x1/4) at 80 mel x 64 frames, batch 2 (a generator's
// fake and identity passes run as one batch), shapes and padding from the model code.
const CONV_LAYERS: ConvLayer[] = modelConvLayers(presetConfig('small'), 2, 64, BENCH_CONVS);

const MATMUL_SIZES = [256, 1024];

export interface BenchNativeOptions {
  /** Threads for the native kernels (default: the addon's, one per core). */
  threads?: number;
  /** Presets whose training step is timed (default tiny, small, base). */
  presets?: PresetName[];
  log?: (line: string) => void;
}

const bestTime = (run: () => void): number => bestTimeMs(run, 5, 300);

/**
 * Waits for the kernel calls the addon has queued (native/src/executor.h): a native kernel
 * returns once its work is queued, so a timing ends with this to include the work.
 */
function finishQueuedWork(): void {
  const addon = loadNativeAddon();
  if (addon.ok) addon.addon.sync();
}

/** GFLOP/s of the three passes of each layer, and of square matrix products. */
function kernelRows(): BenchResult[] {
  const rows: BenchResult[] = [];
  const gflops = (flops: number, ms: number) => flops / ms / 1e6;
  for (const layer of CONV_LAYERS) {
    tf.tidy(() => {
      const x = tf.randomNormal(layer.x) as tf.Tensor4D;
      const w = tf.randomNormal(layer.filter) as tf.Tensor4D;
      const pad = layer.pad;
      const y = tf.conv2d(x, w, layer.stride, pad);
      const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
      const [kh, kw, cin, cout] = layer.filter;
      const flops = 2 * y.shape[0] * y.shape[1] * y.shape[2] * kh * kw * cin * cout;
      const passes: Array<[string, () => tf.Tensor]> = [
        ['forward', () => tf.conv2d(x, w, layer.stride, pad)],
        ['input gradient', () => tf.conv2dTranspose(dy, w, layer.x, layer.stride, pad)],
        [
          'filter gradient',
          () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: layer.stride, pad, dataFormat: 'NHWC', filterShape: layer.filter }) as tf.Tensor,
        ],
      ];
      for (const [pass, run] of passes) {
        const ms = bestTime(() => {
          tf.tidy(() => void run());
          finishQueuedWork();
        });
        rows.push({ name: `native conv ${layer.label} ${pass}`, value: gflops(flops, ms), unit: 'GFLOP/s' });
      }
    });
  }
  for (const n of MATMUL_SIZES) {
    tf.tidy(() => {
      const a = tf.randomNormal([n, n]);
      const b = tf.randomNormal([n, n]);
      const ms = bestTime(() => {
        tf.tidy(() => void tf.matMul(a, b, false, true));
        finishQueuedWork();
      });
      rows.push({ name: `native matmul ${n}x${n} (b transposed)`, value: gflops(2 * n ** 3, ms), unit: 'GFLOP/s' });
    });
  }
  return rows;
}

/**
 * Runs `f` with every kernel of the native backend timed (wall clock, by kernel name, each
 * waiting for the work it queued: the kernels run one at a time); the kernels are restored
 * afterwards.
 */
function withKernelTimes(f: () => void): Map<string, number> {
  const times = new Map<string, number>();
  const originals = tf.getKernelsForBackend(NATIVE_BACKEND);
  const register = (timed: boolean) => {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, NATIVE_BACKEND);
      const kernelFunc: tf.KernelFunc = (args) => {
        finishQueuedWork();
        const start = performance.now();
        try {
          const out = config.kernelFunc(args);
          finishQueuedWork();
          return out;
        } finally {
          times.set(config.kernelName, (times.get(config.kernelName) ?? 0) + performance.now() - start);
        }
      };
      tf.registerKernel(timed ? { ...config, kernelFunc } : config);
    }
  };
  register(true);
  try {
    f();
  } finally {
    register(false);
  }
  return times;
}

/**
 * Milliseconds per kernel name in a small-preset iteration (mean of 5, after warm-up), the
 * kernels run one at a time; and the rest of such an iteration's time: tfjs's engine,
 * autodiff bookkeeping, garbage collection. (Untimed, the kernels run side by side and
 * while JavaScript goes on: bench/train-profile.ts.)
 */
export function profileSmallStep(): { kernels: Array<[string, number]>; iterationMs: number; outsideMs: number } {
  const trainer = new CycleGanTrainer(presetConfig('small'), { seed: 0 });
  const a = tf.randomNormal([1, 80, 64]) as tf.Tensor3D;
  const b = tf.randomNormal([1, 80, 64]) as tf.Tensor3D;
  const iterations = 5;
  try {
    for (let i = 0; i < 3; i++) trainer.step(a, b);
    let iterationMs = 0;
    const times = withKernelTimes(() => {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) trainer.step(a, b);
      iterationMs = (performance.now() - start) / iterations;
    });
    const kernels = [...times].map(([name, ms]): [string, number] => [name, ms / iterations]).sort((x, y) => y[1] - x[1]);
    const kernelMs = kernels.reduce((sum, [, ms]) => sum + ms, 0);
    return { kernels, iterationMs, outsideMs: iterationMs - kernelMs };
  } finally {
    trainer.dispose();
    tf.dispose([a, b]);
  }
}

export async function benchNative(options: BenchNativeOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const threads = options.threads ?? (process.env.VOICESWAP_NATIVE_THREADS ? Number(process.env.VOICESWAP_NATIVE_THREADS) : undefined);
  const started = await startNative({ threads });
  if (!started.ok) {
    log(`native backend unavailable: ${started.reason}`);
    return [];
  }
  log(`backend: ${NATIVE_BACKEND} - ${started.description}`);
  const rows = kernelRows();
  for (const preset of options.presets ?? (['tiny', 'small', 'base'] as PresetName[])) {
    const iterations = preset === 'paper' ? 3 : 10;
    const r = await benchTrain({ preset, batch: 1, frames: 64, iterations });
    log(`${preset}: ${r.sec_per_iter.toFixed(3)} s/iter (min ${r.sec_per_iter_min.toFixed(3)}), ${r.gflops.toFixed(1)} GFLOP/s, peak RSS ${r.peak_rss_mb.toFixed(0)} MiB`);
    rows.push({ name: `native train ${preset} (batch 1, 64 frames)`, value: r.sec_per_iter, unit: 's per iteration' });
  }
  const profile = profileSmallStep();
  log(`small-preset iteration with timed kernels, one at a time: ${profile.iterationMs.toFixed(0)} ms, ${profile.outsideMs.toFixed(0)} ms of it outside kernels`);
  for (const [name, ms] of profile.kernels.slice(0, 12)) {
    rows.push({ name: `native small step: ${name}`, value: ms, unit: 'ms per iteration' });
  }
  rows.push({ name: 'native small step: outside kernels', value: profile.outsideMs, unit: 'ms per iteration' });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchNative();
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.value.toFixed(r.value >= 100 ? 1 : 3).padStart(9)}  ${r.unit}`);
}
