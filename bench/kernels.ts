import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { pathToFileURL } from 'node:url';
import { initBackend } from '../src/backend/index.js';
import { wasmBinaryDir } from '../src/backend/wasm/index.js';
import { presetConfig } from '../src/model/presets.js';
import { BENCH_CONVS, bestTimeMs, modelConvLayers, type BenchResult, type ConvLayer } from './common.js';

/**
 * GFLOP/s of the kernels a CycleGAN-VC2 training step spends its time in, on the wasm
 * backend (and two small cases on the plain cpu backend, for contrast).
 *
 *   benchKernels()                    with this project's wasm kernel fixes
 *   node dist/bench/kernels.js        the same, printed
 *   node dist/bench/kernels.js --original
 *                                     tfjs-backend-wasm's own kernels, for before/after
 *                                     (in a fresh process: fixes cannot be uninstalled)
 *
 * Each figure is from the fastest of several runs (the machine is shared; the minimum is the
 * least disturbed). Convolutions reuse their filter, i.e. the steady state in which XNNPACK's
 * packed weights are cached; a training step pays the packing once per weight update.
 */

// Convs of the generator and discriminator at width 1/4 (the CPU preset), 80 mel x 64
// frames, shapes and padding from the model code (see modelConvLayers).
const CONV_LAYERS: ConvLayer[] = modelConvLayers(presetConfig('small'), 1, 64, BENCH_CONVS);

const MATMUL_SIZES = [512, 1024];

const bestTime = (run: () => void): number => bestTimeMs(run, 3, 400);

function gflops(flops: number, ms: number): number {
  return flops / ms / 1e6;
}

/** Runs `op` inside tidy and forces it (wasm runs synchronously, the read is cheap insurance). */
function timeOp(op: () => tf.Tensor): number {
  return bestTime(() => tf.tidy(() => void op().dataSync()));
}

function benchMatMuls(backend: string): BenchResult[] {
  const rows: BenchResult[] = [];
  for (const n of MATMUL_SIZES) {
    const a = tf.randomNormal([n, n]);
    const b = tf.randomNormal([n, n]);
    for (const [ta, tb, tag] of [
      [false, false, ''],
      [true, false, ' A^T'],
      [false, true, ' B^T'],
    ] as const) {
      const ms = timeOp(() => tf.matMul(a, b, ta, tb));
      rows.push({ name: `${backend} matMul ${n}^2${tag}`, value: gflops(2 * n ** 3, ms), unit: 'GFLOP/s' });
    }
    tf.dispose([a, b]);
  }
  const batch = [4, 256, 256];
  const a = tf.randomNormal(batch);
  const b = tf.randomNormal(batch);
  const ms = timeOp(() => tf.matMul(a, b));
  rows.push({ name: `${backend} matMul batch 4 x 256^2`, value: gflops(4 * 2 * 256 ** 3, ms), unit: 'GFLOP/s' });
  tf.dispose([a, b]);
  return rows;
}

function convFlops(layer: ConvLayer, y: tf.Tensor): number {
  const [kh, kw, cin] = layer.filter;
  return 2 * y.size * kh * kw * cin;
}

function benchConv(backend: string, layer: ConvLayer): BenchResult[] {
  const x = tf.randomNormal(layer.x) as tf.Tensor4D;
  const w = tf.randomNormal(layer.filter) as tf.Tensor4D;
  const y = tf.conv2d(x, w, layer.stride, layer.pad);
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const flops = convFlops(layer, y);
  const row = (what: string, ms: number): BenchResult => ({ name: `${backend} conv ${what} ${layer.label}`, value: gflops(flops, ms), unit: 'GFLOP/s' });
  const rows = [
    row('fwd', timeOp(() => tf.conv2d(x, w, layer.stride, layer.pad))),
    row('bwd-input', timeOp(() => tf.conv2dTranspose(dy, w, layer.x, layer.stride, layer.pad))),
  ];
  if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) == null) {
    rows.push({ name: `${backend} conv bwd-filter ${layer.label}`, value: NaN, unit: 'GFLOP/s (kernel missing)' });
  } else {
    const attrs = { strides: layer.stride, pad: layer.pad, dataFormat: 'NHWC', filterShape: layer.filter };
    rows.push(row('bwd-filter', timeOp(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor)));
  }
  tf.dispose([x, w, y, dy]);
  return rows;
}

/** The wasm backend as tfjs-backend-wasm ships it, without this project's kernel fixes. */
async function startOriginalWasm(): Promise<void> {
  setWasmPaths(wasmBinaryDir() + '/');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to start');
}

export async function benchKernels(options: { original?: boolean } = {}): Promise<BenchResult[]> {
  const label = options.original ? 'wasm-original' : 'wasm';
  if (options.original) await startOriginalWasm();
  else await initBackend('wasm');
  const rows = [...benchMatMuls(label), ...CONV_LAYERS.flatMap((layer) => benchConv(label, layer))];

  await initBackend('cpu');
  const n = 256;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  rows.push({ name: `cpu matMul ${n}^2`, value: gflops(2 * n ** 3, timeOp(() => tf.matMul(a, b))), unit: 'GFLOP/s' });
  tf.dispose([a, b]);
  rows.push(...benchConv('cpu', CONV_LAYERS[3]).slice(0, 1));
  return rows;
}

// `node dist/bench/kernels.js [--original]` prints the table.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchKernels({ original: process.argv.includes('--original') });
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.value.toFixed(2).padStart(8)}  ${r.unit}`);
}
