import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { VoiceswapError } from '../src/errors.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { BACKEND_CHOICES, initBackend, isBackendChoice, type BackendChoice } from '../src/backend/index.js';

/** Whether an optional package can be resolved here (tfjs-node is normally absent). */
function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(VoiceswapError);
    return (err as Error).message;
  }
  throw new Error('expected a VoiceswapError');
}

describe('initBackend', () => {
  it('starts the plain cpu backend', async () => {
    const info = await initBackend('cpu');
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('starts wasm with SIMD, and computes on it', async () => {
    const info = await initBackend('wasm');
    expect(info.name).toBe('wasm');
    expect(info.description).toMatch(/SIMD/);
    expect(info.description).not.toMatch(/no SIMD/);
    expect(tf.getBackend()).toBe('wasm');
    const product = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync());
    expect(Array.from(product)).toEqual([11]);
  });

  it('can switch between backends repeatedly', async () => {
    for (const choice of ['wasm', 'cpu', 'wasm'] as const) {
      expect((await initBackend(choice)).name).toBe(choice);
      expect(tf.getBackend()).toBe(choice);
    }
  });

  const tfjsNode: [BackendChoice, string][] = [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
  ];
  for (const [choice, pkg] of tfjsNode) {
    it.skipIf(installed(pkg))(`explains in one line that ${choice} needs ${pkg} when it is not installed`, async () => {
      const message = await messageOf(initBackend(choice));
      expect(message).toMatch(new RegExp(`^backend ${choice}: ${pkg} is not installed \\(npm install ${pkg};`));
      expect(message).not.toContain('\n');
    });
  }

  it.skipIf(installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node'))(
    'auto falls through to native (when its addon is built) or wasm, saying why it skipped each faster backend',
    async () => {
      const nativeBuilt = loadNativeAddon().ok;
      const lines: string[] = [];
      const info = await initBackend('auto', { log: (line) => lines.push(line) });
      const expected = nativeBuilt ? 'native' : 'wasm';
      expect(info.name).toBe(expected);
      expect(tf.getBackend()).toBe(expected);
      expect(lines[0]).toMatch(/^backend: skipping tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed/);
      expect(lines[1]).toMatch(/^backend: skipping tensorflow: @tensorflow\/tfjs-node is not installed/);
      if (nativeBuilt) {
        expect(lines).toHaveLength(3);
        expect(lines[2]).toMatch(/^backend: native - oneDNN/);
      } else {
        expect(lines).toHaveLength(4);
        expect(lines[2]).toMatch(/^backend: skipping native: /);
        expect(lines[3]).toMatch(/^backend: wasm - XNNPACK on WebAssembly/);
      }
    },
  );

  it('rejects an unknown backend name with the list of choices', async () => {
    const message = await messageOf(initBackend('webgpu' as BackendChoice));
    expect(message).toBe(`unknown backend "webgpu" (choose one of: ${BACKEND_CHOICES.join(', ')})`);
  });

  it('rejects a thread count that is not a whole number >= 1', async () => {
    for (const threads of [0, 1.5, -2, NaN]) {
      expect(await messageOf(initBackend('cpu', { threads }))).toMatch(/^threads must be a whole number >= 1/);
    }
  });

  it('recognises the choices', () => {
    for (const choice of BACKEND_CHOICES) expect(isBackendChoice(choice)).toBe(true);
    expect(isBackendChoice('tfjs-node')).toBe(false);
  });
});
