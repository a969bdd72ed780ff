import * as tf from '@tensorflow/tfjs';
// Importing the package registers the 'wasm' backend factory and its kernels with our tf engine.
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BackendOptions, StartOutcome } from '../candidate.js';
import { installWasmKernels } from './kernels.js';

const WASM_BACKEND = 'wasm';
const SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';

let pathsSet = false;

/**
 * The directory holding the package's .wasm binaries. Resolved through Node's module
 * resolution from this file, so it is the same under `node dist/...`, vitest and an
 * installed package; the wasm backend would otherwise guess it from its bundle's location,
 * which bundlers and test runners move.
 */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

/**
 * Starts the XNNPACK/wasm backend with our kernel fixes, on one thread. The package's
 * threaded build does not start under Node: it hands Node's Worker a blob: URL (refused),
 * its worker script relies on bundle-internal names, and its thread pool is capped at half
 * of os.cpus(). Forcing it past all that worked, but hung at start-up once in a few tries and
 * was no faster on a busy 2-core machine, so a `threads` request above 1 is only noted.
 */
export async function startWasm(options: BackendOptions): Promise<StartOutcome> {
  const dir = wasmBinaryDir();
  if (!existsSync(join(dir, SIMD_BINARY))) {
    return { ok: false, reason: `${join(dir, SIMD_BINARY)} is missing (reinstall @tensorflow/tfjs-backend-wasm)` };
  }
  if (!pathsSet) {
    // The prefix must end with a separator: the backend appends the binary's file name.
    setWasmPaths(dir + '/');
    pathsSet = true;
  }
  installWasmKernels();
  if (!(await tf.setBackend(WASM_BACKEND))) {
    return { ok: false, reason: 'the wasm backend failed to initialise (see the warning above)' };
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = getThreadsCount();
  const unmet = options.threads != null && options.threads > threads ? `; ${options.threads} requested, not supported under Node` : '';
  return {
    ok: true,
    description: `XNNPACK on WebAssembly (${simd ? 'SIMD' : 'no SIMD: slow'}, ${threads} thread${threads === 1 ? '' : 's'}${unmet})`,
  };
}
