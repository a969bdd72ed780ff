import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../backend/index.js';
import { VoiceswapError } from '../errors.js';
import { discriminatorConvFlops, discriminatorLayers } from '../model/discriminator.js';
import { generatorConvFlops, generatorLayers } from '../model/generator.js';
import { countParams } from '../model/params.js';
import { customConfig, presetConfig, type ModelConfig, type PresetName } from '../model/presets.js';
import { CycleGanTrainer, DEFAULT_LEARNING_RATES, DEFAULT_LOSS_WEIGHTS, type LossValues } from './step.js';

/**
 * Seconds per CycleGAN-VC2 training iteration on this machine, measured the way the
 * PyTorch yardstick (../shared/bench/torch_ref/cyclegan_vc2.py) measures it: random
 * [batch, 80, frames] crops, warm-up iterations, then the median of timed iterations.
 */

export interface BenchTrainOptions {
  preset: PresetName;
  /** Width scale replacing the preset's (e.g. 1/32 for a quick check of the plumbing). */
  scale?: number;
  batch: number;
  /** Timed iterations. */
  iterations: number;
  /** Crop length in frames (a multiple of 4; the reference uses 64). */
  frames: number;
  /** Untimed iterations first (allocation, kernel set-up). Default 3, like the reference. */
  warmup?: number;
  /** Backend to start first; by default the currently active one is used. */
  backend?: BackendChoice;
  seed?: number;
  /** Progress lines (e.g. to stderr). */
  log?: (line: string) => void;
}

export interface BenchTrainResult {
  preset: PresetName | 'custom';
  scale: number;
  batch: number;
  frames: number;
  backend: string;
  /** Parameters of one generator and one discriminator. */
  params_g: number;
  params_d: number;
  warmup: number;
  iterations: number;
  /** Median seconds per iteration. */
  sec_per_iter: number;
  sec_per_iter_min: number;
  times_s: number[];
  hours_per_10k_iter: number;
  /** Conv GFLOP per iteration, estimated like the reference: (18 x G fwd + 16 x D fwd) x batch. */
  gflop_per_iter: number;
  gflops: number;
  /** Peak resident memory of the process, and tfjs's tensor memory after the run. */
  peak_rss_mb: number;
  tensor_mb: number;
  last_losses: LossValues;
}

export async function benchTrain(options: BenchTrainOptions): Promise<BenchTrainResult> {
  const { batch, iterations, frames } = options;
  const warmup = options.warmup ?? 3;
  const log = options.log ?? (() => {});
  if (!Number.isInteger(batch) || batch < 1) throw new VoiceswapError(`batch must be a whole number >= 1, got ${batch}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new VoiceswapError(`iterations must be a whole number >= 1, got ${iterations}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new VoiceswapError(`warmup must be a whole number >= 0, got ${warmup}`);
  if (!Number.isInteger(frames) || frames < 8 || frames % 4 !== 0) {
    throw new VoiceswapError(`frames must be a multiple of 4 and at least 8, got ${frames}`);
  }
  const backend = options.backend !== undefined ? (await initBackend(options.backend, { log })).name : tf.getBackend();
  const presetCfg = presetConfig(options.preset);
  const config: ModelConfig = options.scale === undefined || options.scale === presetCfg.scale ? presetCfg : customConfig(options.scale);

  const trainer = new CycleGanTrainer(config, { seed: options.seed ?? 0 });
  const realA = tf.randomNormal([batch, config.nMels, frames], 0, 1, 'float32', 1) as tf.Tensor3D;
  const realB = tf.randomNormal([batch, config.nMels, frames], 0, 1, 'float32', 2) as tf.Tensor3D;
  const iterate = () => trainer.step(realA, realB, DEFAULT_LOSS_WEIGHTS, DEFAULT_LEARNING_RATES);
  try {
    for (let i = 0; i < warmup; i++) {
      const t0 = performance.now();
      iterate();
      log(`warm-up ${i + 1}/${warmup}: ${((performance.now() - t0) / 1000).toFixed(3)} s`);
    }
    const times: number[] = [];
    let last!: LossValues;
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      last = iterate(); // returns plain numbers: the iteration's work has finished
      times.push((performance.now() - t0) / 1000);
      log(`iteration ${i + 1}/${iterations}: ${times[i]!.toFixed(3)} s`);
    }
    const secPerIter = median(times);
    const gflop = ((18 * generatorConvFlops(config, frames) + 16 * discriminatorConvFlops(config, frames)) * batch) / 1e9;
    return {
      preset: config.preset,
      scale: config.scale,
      batch,
      frames,
      backend,
      params_g: countParams(generatorLayers(config)),
      params_d: countParams(discriminatorLayers(config)),
      warmup,
      iterations,
      sec_per_iter: secPerIter,
      sec_per_iter_min: Math.min(...times),
      times_s: times,
      hours_per_10k_iter: (secPerIter * 10_000) / 3600,
      gflop_per_iter: gflop,
      gflops: gflop / secPerIter,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      tensor_mb: tf.memory().numBytes / 2 ** 20,
      last_losses: last,
    };
  } finally {
    trainer.dispose();
    tf.dispose([realA, realB]);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
