/**
 * Where a training step's time goes, per phase: convolutions and matrix products; the
 * fused residual blocks (each one kernel running both its convolutions and norms, where
 * the backend has it; otherwise their layers count in the other phases); the optimiser
 * (the fused Adam kernel, where the backend has one; otherwise Adam's ops count as
 * element-wise); element-wise arithmetic with reductions and data movement; and the
 * engine: the tfjs engine, autodiff and JavaScript between kernels. Small preset by
 * default, batch 1, 64 frames, on the best backend here; kernel times from tf.profile over
 * PROFILED steps (each kernel run alone), wall time from TIMED unprofiled ones.
 *
 * On the native backend the kernels run on worker threads, side by side and while
 * JavaScript goes on (native/src/executor.h). There every figure is CPU time in the
 * unprofiled steps: a phase's, the time the workers spent on its kernels' work (a call's
 * time once per thread it ran on, as the addon counts it); the engine's, the JavaScript
 * thread's own (tfjs's engine, autodiff, the kernels' argument checks and queueing, the
 * few cpu-backend kernels; from /proc: the addon builds on Linux only). They add up to
 * more than the wall time by what ran at once; tf.profile there only counts the calls.
 *
 *   node dist/bench/run.js profile
 *   VOICESWAP_BENCH_PRESETS=tiny,small node dist/bench/run.js profile
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { initBackend } from '../src/backend/index.js';
import { NATIVE_BACKEND } from '../src/backend/native/index.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { FUSED_ADAM } from '../src/backend/fused-adam.js';
import { FUSED_CONV_BIAS } from '../src/backend/fused-conv-bias.js';
import { FUSED_RESIDUAL, FUSED_RESIDUAL_GRAD } from '../src/backend/fused-residual.js';
import { isPresetName, presetConfig } from '../src/model/presets.js';
import { CycleGanTrainer, DEFAULT_LEARNING_RATES, DEFAULT_LOSS_WEIGHTS } from '../src/train/step.js';
import { medianOf, type BenchResult } from './common.js';

const WARMUP = 3;
const PROFILED = 5;
/** Unprofiled steps timed (their median is the wall time; the engine's CPU time is their mean). */
const TIMED = 15;
const FRAMES = 64;

type Phase = 'conv' | 'residual' | 'optimiser' | 'element-wise' | 'engine';
const PHASES: readonly Phase[] = ['conv', 'residual', 'element-wise', 'optimiser', 'engine'];
const CONV_KERNELS = new Set(['Conv2D', FUSED_CONV_BIAS, 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul']);

/**
 * tf.profile's record of a tf.customGrad op (the fused instance norm and GLU): its time
 * includes the kernel it runs, which has a record of its own, so it is not counted.
 */
const CUSTOM_GRAD_SCOPE = 'unnamed scope';

/** The CPU milliseconds the JavaScript (main) thread has used, from /proc (utime and stime, in 1/100 s ticks). */
function javascriptThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The phase of the native addon's functions (NativeAddon), by name. */
function addonPhaseOf(name: string): Exclude<Phase, 'engine'> {
  if (/^conv2d|^batchMatMul$/.test(name)) return 'conv';
  if (name.startsWith('residualBlock')) return 'residual';
  if (name === 'adam') return 'optimiser';
  return 'element-wise';
}

function phaseOf(kernel: string): Exclude<Phase, 'engine'> {
  if (CONV_KERNELS.has(kernel)) return 'conv';
  if (kernel === FUSED_RESIDUAL || kernel === FUSED_RESIDUAL_GRAD) return 'residual';
  if (kernel === FUSED_ADAM) return 'optimiser';
  return 'element-wise';
}

export async function benchTrainProfile(log: (line: string) => void = console.log): Promise<BenchResult[]> {
  const presets = (process.env.VOICESWAP_BENCH_PRESETS ?? 'small').split(',').filter(isPresetName);
  const backend = await initBackend('auto');
  log(`${backend.name} - ${backend.description}; batch 1, ${FRAMES} frames; wall: median of ${TIMED} steps, kernels: mean of ${PROFILED} profiled steps`);
  const rows: BenchResult[] = [];
  for (const preset of presets) {
    const config = presetConfig(preset);
    const trainer = new CycleGanTrainer(config, { seed: 0 });
    const a = tf.randomNormal([1, config.nMels, FRAMES], 0, 1, 'float32', 1) as tf.Tensor3D;
    const b = tf.randomNormal([1, config.nMels, FRAMES], 0, 1, 'float32', 2) as tf.Tensor3D;
    const step = () => trainer.step(a, b, DEFAULT_LOSS_WEIGHTS, DEFAULT_LEARNING_RATES);
    try {
      for (let i = 0; i < WARMUP; i++) step();
      const overlapping = backend.name === NATIVE_BACKEND;
      const addon = overlapping ? loadNativeAddon() : null;
      // the native backend runs only where its addon loaded, on Linux: /proc is there
      const workTimes = (): Record<string, number> => (addon?.ok ? addon.addon.workTimes() : {});
      const javascriptMs = () => (overlapping ? javascriptThreadCpuMs() : 0);
      const walls: number[] = [];
      const [workBefore, cpuBefore] = [workTimes(), javascriptMs()];
      for (let i = 0; i < TIMED; i++) {
        const start = performance.now();
        step();
        walls.push(performance.now() - start);
      }
      const javascript = (javascriptMs() - cpuBefore) / TIMED;
      const workAfter = workTimes();
      const wall = medianOf(walls.sort((x, y) => x - y));
      const ms = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
      const calls = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
      for (let i = 0; i < PROFILED; i++) {
        const info = await tf.profile(() => {
          step();
        });
        for (const k of info.kernels) {
          if (k.name === CUSTOM_GRAD_SCOPE) continue;
          const phase = phaseOf(k.name);
          if (!overlapping) ms[phase] += (await k.kernelTimeMs) as number / PROFILED;
          calls[phase] += 1 / PROFILED;
        }
      }
      for (const [name, after] of Object.entries(workAfter)) ms[addonPhaseOf(name)] += (after - (workBefore[name] ?? 0)) / TIMED;
      const kernelPhases = PHASES.filter((p) => p !== 'engine');
      const kernelMs = kernelPhases.reduce((sum, p) => sum + ms[p], 0);
      ms.engine = overlapping ? javascript : Math.max(0, wall - kernelMs);
      const kernelCalls = kernelPhases.reduce((sum, p) => sum + calls[p], 0);
      const cpu = kernelMs + ms.engine;
      const overlap = overlapping ? `; ${cpu.toFixed(0)} ms of CPU time (workers and JavaScript), ${(cpu / wall).toFixed(2)} cores busy on average` : '';
      log(`${preset}: ${wall.toFixed(0)} ms per step, ${kernelCalls.toFixed(0)} kernel calls${overlap}`);
      for (const phase of PHASES) {
        const count = phase === 'engine' ? '' : `, ${calls[phase].toFixed(0)} calls`;
        const share = (100 * ms[phase]) / (overlapping ? cpu : wall); // of the CPU time where it exceeds the wall time
        log(`  ${phase.padEnd(12)} ${ms[phase].toFixed(1).padStart(7)} ms (${share.toFixed(0).padStart(2)}%)${count}`);
        rows.push({ name: `train ${preset} step profile: ${phase}`, value: ms[phase], unit: 'ms' });
      }
      rows.push({ name: `train ${preset} step profile: kernel calls`, value: kernelCalls, unit: 'calls' });
      if (overlapping) rows.push({ name: `train ${preset} step profile: CPU time`, value: cpu, unit: 'ms' });
    } finally {
      trainer.dispose();
      tf.dispose([a, b]);
    }
  }
  return rows;
}
