import { FileError } from '../errors.js';
import { disposeNetwork } from '../model/params.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointContents, type LoadedCheckpoint, type OptimiserJson } from '../model/io.js';
import { CYCLEGAN_ADAM, type Adam } from './adam.js';
import { CycleGanTrainer, NETWORK_NAMES } from './step.js';

/** The trainer as a checkpoint's plain data: all four networks and both optimisers' state. */
export function trainerCheckpoint<E>(trainer: CycleGanTrainer, extra: E): CheckpointContents & { extra: E } {
  const optimiser = (opt: Adam) => ({ step: opt.step, ...opt.hyper, tensors: opt.stateTensors() });
  return { config: trainer.config, networks: trainer.networks(), optimizers: { g: optimiser(trainer.optG), d: optimiser(trainer.optD) }, extra };
}

/** Save everything needed to resume training: all four networks and both optimisers. */
export async function saveTrainerState(dir: string, trainer: CycleGanTrainer, options: { extra?: unknown } = {}): Promise<void> {
  await saveCheckpoint(dir, trainerCheckpoint(trainer, options.extra));
}

/** Rebuild a trainer, on the current backend, exactly as saveTrainerState saved it. */
export function loadTrainerState(dir: string): { trainer: CycleGanTrainer; extra: unknown } {
  const ckpt = loadCheckpoint(dir);
  return { trainer: trainerFromCheckpoint(ckpt), extra: ckpt.extra };
}

/** A trainer on the checkpoint's networks with its optimisers restored; frees them all when it throws. */
export function trainerFromCheckpoint(ckpt: LoadedCheckpoint): CycleGanTrainer {
  const net = (name: string) => {
    const n = ckpt.networks.get(name);
    if (n === undefined) throw new FileError(ckpt.file, `has no network '${name}' (it has ${[...ckpt.networks.keys()].join(', ')})`);
    return n;
  };
  let trainer: CycleGanTrainer;
  try {
    trainer = new CycleGanTrainer(ckpt.config, { networks: { gAB: net(NETWORK_NAMES.gAB), gBA: net(NETWORK_NAMES.gBA), dA: net(NETWORK_NAMES.dA), dB: net(NETWORK_NAMES.dB) } });
  } catch (err) {
    for (const n of ckpt.networks.values()) disposeNetwork(n);
    throw err;
  }
  try {
    restoreOptimiser(ckpt.file, trainer.optG, 'opt_g', ckpt.optimizers.g);
    restoreOptimiser(ckpt.file, trainer.optD, 'opt_d', ckpt.optimizers.d);
  } catch (err) {
    trainer.dispose();
    throw err;
  }
  return trainer;
}

function restoreOptimiser(jsonPath: string, opt: Adam, prefix: string, saved: OptimiserJson & { values: Map<string, Float32Array> }): void {
  for (const key of ['beta1', 'beta2', 'eps'] as const) {
    if (saved[key] !== CYCLEGAN_ADAM[key]) {
      throw new FileError(jsonPath, `optimiser '${prefix}' was saved with ${key} = ${saved[key]}; this voiceswap trains with ${CYCLEGAN_ADAM[key]}`);
    }
  }
  try {
    opt.restore(saved.step, saved.values);
  } catch (err) {
    throw new FileError(jsonPath, `${prefix}: ${(err as Error).message}`);
  }
}
