import * as tf from '@tensorflow/tfjs';
import { VoiceswapError } from '../errors.js';
import { BackendOptions, StartBackend, StartOutcome } from './candidate.js';
import { BACKEND_CHOICES, type BackendChoice } from './choices.js';
import { startTensorflowCpu, startTensorflowGpu } from './tfjs-node.js';
import { startNative } from './native/index.js';
import { startWasm } from './wasm/index.js';

/**
 * Chooses and prepares the tfjs backend every command runs on.
 *
 * Each backend is a StartBackend function that either activates its backend or gives a
 * one-line reason why it cannot run here. `auto` walks AUTO_ORDER (fastest first) and takes
 * the first that starts. A new backend (e.g. a native addon) is one more entry in STARTERS
 * and, if it should be tried automatically, in AUTO_ORDER.
 */

export type { BackendOptions } from './candidate.js';
export { BACKEND_CHOICES, type BackendChoice } from './choices.js';

type ConcreteBackend = Exclude<BackendChoice, 'auto'>;

export interface BackendInfo {
  /** The backend in use, as named on the command line (never 'auto'). */
  name: string;
  /** What runs the kernels, e.g. "XNNPACK on WebAssembly (SIMD, 1 thread)". */
  description: string;
}

async function startCpu(): Promise<StartOutcome> {
  if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'the cpu backend failed to initialise' };
  return { ok: true, description: 'plain JavaScript kernels (slow; a last resort)' };
}

const STARTERS: Record<ConcreteBackend, StartBackend> = {
  'tensorflow-gpu': startTensorflowGpu,
  tensorflow: startTensorflowCpu,
  native: startNative,
  wasm: startWasm,
  cpu: startCpu,
};

const AUTO_ORDER: readonly ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'];

export function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}

/**
 * Makes `choice` the active tfjs backend and says which one runs. An explicit choice that
 * cannot run here is a VoiceswapError with the reason; `auto` logs why it skipped each
 * faster backend and falls through to the plain cpu backend, which always works.
 */
export async function initBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<BackendInfo> {
  if (!isBackendChoice(choice)) {
    throw new VoiceswapError(`unknown backend "${String(choice)}" (choose one of: ${BACKEND_CHOICES.join(', ')})`);
  }
  if (options.threads != null && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new VoiceswapError(`threads must be a whole number >= 1, got ${options.threads}`);
  }
  const log = options.log ?? (() => {});
  const order = choice === 'auto' ? AUTO_ORDER : [choice];
  for (const name of order) {
    const outcome = await STARTERS[name](options);
    if (outcome.ok) {
      log(`backend: ${name} - ${outcome.description}`);
      return { name, description: outcome.description };
    }
    if (choice !== 'auto') throw new VoiceswapError(`backend ${name}: ${outcome.reason}`);
    log(`backend: skipping ${name}: ${outcome.reason}`);
  }
  // Unreachable while 'cpu' ends AUTO_ORDER, but keep the contract explicit.
  throw new VoiceswapError('backend auto: no backend could start');
}
