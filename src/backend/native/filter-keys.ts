import type * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';

/**
 * Keys for the addon's converted convolution filters (native/src/conv.h): a filter passed
 * with a key is converted to oneDNN's layout once, and the copy serves every later pass
 * with that key. tfjs never changes the data under a dataId (an optimiser update makes a
 * new tensor), so one key per dataId names one unchanging filter; the key is forgotten
 * when the backend frees that data, before its buffer can be reused.
 */
export class FilterKeys {
  private keys = new WeakMap<tf.DataId, number>();
  private next = 1;

  constructor(private readonly addon: Pick<NativeAddon, 'forgetFilter'>) {}

  /** The key of the data under `dataId` (a new one on first use). */
  keyOf(dataId: tf.DataId): number {
    let key = this.keys.get(dataId);
    if (key === undefined) {
      key = this.next++;
      this.keys.set(dataId, key);
    }
    return key;
  }

  /** The data under `dataId` has been freed: its converted copies go too. */
  released(dataId: tf.DataId): void {
    const key = this.keys.get(dataId);
    if (key === undefined) return;
    this.keys.delete(dataId);
    this.addon.forgetFilter(key);
  }

  /** Every key forgotten (the backend instance is gone). */
  clear(): void {
    this.keys = new WeakMap();
    this.addon.forgetFilter(0);
  }
}

/** The part of tfjs's cpu backend that frees data. */
interface DisposingBackend {
  data: { has(dataId: tf.DataId): boolean };
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  dispose(): void;
}

/** Reports every freeing of data on `backend` (and its disposal) to `keys`. */
export function forgetFreedFilters(backend: tf.KernelBackend, keys: FilterKeys): void {
  const cpu = backend as unknown as DisposingBackend;
  const disposeData = cpu.disposeData.bind(cpu);
  cpu.disposeData = (dataId, force) => {
    const disposed = disposeData(dataId, force);
    if (disposed && !cpu.data.has(dataId)) keys.released(dataId);
    return disposed;
  };
  const dispose = cpu.dispose.bind(cpu);
  cpu.dispose = () => {
    dispose();
    keys.clear();
  };
}
