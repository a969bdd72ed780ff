import type * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import type { FreedDataListener } from './freed-data.js';

/**
 * Keys for the addon's converted convolution filters (native/src/conv.h): a filter passed
 * with a key is converted to oneDNN's layout once, and the copy serves every later pass
 * with that key. tfjs never changes the data under a dataId (an optimiser update makes a
 * new tensor), so one key per dataId names one unchanging filter; the key is forgotten
 * when the backend frees that data (it listens for that, freed-data.ts), before its
 * buffer can be reused.
 */
export class FilterKeys implements FreedDataListener {
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
  freed(dataId: tf.DataId): void {
    const key = this.keys.get(dataId);
    if (key === undefined) return;
    this.keys.delete(dataId);
    this.addon.forgetFilter(key);
  }

  /** Every key forgotten (the backend instance is gone). */
  disposed(): void {
    this.keys = new WeakMap();
    this.addon.forgetFilter(0);
  }
}
