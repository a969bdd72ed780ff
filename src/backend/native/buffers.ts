import type * as tf from '@tensorflow/tfjs';
import { onFreedData, type FreedDataListener } from './freed-data.js';

/**
 * Reuse of the native kernels' output buffers.
 *
 * A training step allocates about a gigabyte of short-lived outputs. As fresh
 * Float32Arrays they are zero-filled, first-touched page by page (page faults cost tens
 * of microseconds on a loaded virtual machine) and reclaimed only by the garbage
 * collector, so memory is always cold: allocation costs 10-50x the arithmetic of an
 * element-wise kernel. The pool instead hands a disposed tensor's buffer to the next
 * output of the same size class, still mapped and often still in cache.
 *
 * A buffer is recycled only when nothing else can see it: it was allocated here, its
 * tensor data was disposed, no other tensor data was ever registered on the same memory
 * (a cpu kernel's view, e.g. a contiguous slice), and it was never handed out by
 * readSync/read (those return copies of pooled buffers).
 */

/** The members of tfjs's MathBackendCPU that recycling hooks into. */
interface CpuBackendInternals {
  write(values: unknown, shape: number[], dtype: tf.DataType): tf.DataId;
  readSync(dataId: tf.DataId): unknown;
  read(dataId: tf.DataId): Promise<unknown>;
}

/**
 * Smaller outputs are plain new arrays: V8 allocates them cheaply in its young generation
 * (the smallest even inside the JS heap, where asking for their ArrayBuffer would copy them
 * out), and they are no page-fault risk.
 */
const MIN_POOLED_LENGTH = 1024;

/** Free buffers of a size class looked at for one not in use by queued work before a new one is allocated. */
const BUSY_CHECKS = 64;

/**
 * The size class of an output of `length` floats: `length` rounded up to 8 steps per
 * octave (at most 1/8 more memory). An output is a view of the first `length` floats of a
 * buffer of its class. Why classes and not exact lengths: a training step repeats the
 * same shapes, but converting a folder gives every file its own frame count, so exact
 * lengths never met again (every file's outputs were fresh, page-faulted memory, and the
 * pool filled with sizes no later file asked for).
 */
export function sizeClass(length: number): number {
  if (length < MIN_POOLED_LENGTH) return length;
  const step = 2 ** (Math.floor(Math.log2(length)) - 3);
  return Math.ceil(length / step) * step;
}

/** Handed out but not yet registered, registered as a tensor's data, or free. */
type BufferState = 'issued' | 'live' | 'free';

interface Owned {
  state: BufferState;
  /** The view handed out (state issued or live): only this exact object may be its tensor's data. */
  view: Float32Array | null;
  /** The whole buffer of the size class. */
  whole: Float32Array;
}

export class BufferPool {
  /** Free buffers by size class, most recently freed last. */
  private readonly free = new Map<number, Float32Array[]>();
  /** Every free buffer, least recently freed first: the order they are evicted in. */
  private readonly freeOrder = new Map<ArrayBuffer, Float32Array>();
  /**
   * Every buffer this pool allocated that may still come back, by its memory. (A Map, not
   * a WeakMap: weak collections of many short-lived keys slow the garbage collector down.
   * Entries leave when a buffer is pinned or evicted.)
   */
  private readonly owned = new Map<ArrayBuffer, Owned>();
  private freeBytes = 0;

  /**
   * @param maxFreeBytes free memory kept for reuse; beyond it, the buffers freed longest
   *   ago are left to the GC
   * @param inUse whether work queued before the buffer was freed may still read or write it
   *   (native/src/executor.h): such a buffer is not handed out yet, since the new output's
   *   writer would have to wait for that work
   */
  constructor(
    readonly maxFreeBytes: number,
    private readonly inUse: (buffer: Float32Array) => boolean = () => false,
  ) {}

  /** A buffer of `length` floats with arbitrary contents: the caller overwrites all of it. */
  take(length: number): Float32Array {
    if (length < MIN_POOLED_LENGTH) return new Float32Array(length);
    const capacity = sizeClass(length);
    const whole = this.takeFree(capacity) ?? new Float32Array(capacity);
    const memory = whole.buffer as ArrayBuffer;
    if (this.freeOrder.delete(memory)) this.freeBytes -= whole.byteLength;
    const view = length === capacity ? whole : whole.subarray(0, length);
    this.owned.set(memory, { state: 'issued', view, whole });
    return view;
  }

  /**
   * The most recently freed buffer of size class `capacity` that no queued work uses
   * (looking at the last few freed only: each look asks the addon), taken off its stack.
   */
  private takeFree(capacity: number): Float32Array | undefined {
    const stack = this.free.get(capacity);
    if (stack === undefined) return undefined;
    const last = Math.max(0, stack.length - BUSY_CHECKS);
    for (let i = stack.length - 1; i >= last; i--) {
      const whole = stack[i]!;
      if (this.inUse(whole)) continue;
      stack.splice(i, 1);
      return whole;
    }
    return undefined;
  }

  /** Whether `values` lies in memory this pool may recycle. */
  owns(values: unknown): values is Float32Array {
    return values instanceof Float32Array && this.owned.has(values.buffer as ArrayBuffer);
  }

  /**
   * A tensor's data was registered on `values`. The pool's own outputs are registered
   * once, by the kernel that made them; any other registration on pooled memory (a view,
   * or a second tensor on the same array) pins it for good.
   */
  registered(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const memory = values.buffer as ArrayBuffer;
    const entry = this.owned.get(memory);
    if (entry === undefined) return;
    if (entry.state === 'issued' && values === entry.view) entry.state = 'live';
    else this.pin(memory, entry);
  }

  /** The tensor data on `values` was disposed: keep the buffer for reuse if it is ours. */
  released(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const memory = values.buffer as ArrayBuffer;
    const entry = this.owned.get(memory);
    if (entry === undefined || entry.state !== 'live' || values !== entry.view) return;
    const { whole } = entry;
    if (whole.byteLength > this.maxFreeBytes) {
      this.owned.delete(memory);
      return;
    }
    while (this.freeBytes + whole.byteLength > this.maxFreeBytes) this.evictOldest();
    entry.state = 'free';
    entry.view = null;
    let stack = this.free.get(whole.length);
    if (stack === undefined) this.free.set(whole.length, (stack = []));
    stack.push(whole);
    this.freeOrder.set(memory, whole);
    this.freeBytes += whole.byteLength;
  }

  /** Bytes held for reuse. */
  get heldBytes(): number {
    return this.freeBytes;
  }

  /** Forgets every buffer (the backend holding them was disposed). */
  clear(): void {
    this.free.clear();
    this.freeOrder.clear();
    this.owned.clear();
    this.freeBytes = 0;
  }

  /** Someone else sees this memory now: never recycle it (and drop it if it was free). */
  private pin(memory: ArrayBuffer, entry: Owned): void {
    if (entry.state === 'free') this.forgetFree(memory, entry.whole);
    this.owned.delete(memory);
  }

  private evictOldest(): void {
    const [memory, whole] = this.freeOrder.entries().next().value as [ArrayBuffer, Float32Array];
    this.forgetFree(memory, whole);
    this.owned.delete(memory);
  }

  private forgetFree(memory: ArrayBuffer, whole: Float32Array): void {
    const stack = this.free.get(whole.length)!;
    stack.splice(stack.lastIndexOf(whole), 1);
    if (stack.length === 0) this.free.delete(whole.length);
    this.freeOrder.delete(memory);
    this.freeBytes -= whole.byteLength;
  }
}

/**
 * Hooks `pool` into a cpu backend instance: registrations and frees of tensor data are
 * reported to it, and reads return copies of pooled buffers (a caller may keep what
 * dataSync returns for as long as it likes). `alsoOnFree`: other things to tell when data
 * is freed (freed-data.ts), through the same hook.
 */
export function recycleBuffers(backend: tf.KernelBackend, pool: BufferPool, alsoOnFree: readonly FreedDataListener[] = []): void {
  const cpu = backend as unknown as CpuBackendInternals;
  const write = cpu.write.bind(cpu);
  const readSync = cpu.readSync.bind(cpu);
  cpu.write = (values, shape, dtype) => {
    pool.registered(values);
    return write(values, shape, dtype);
  };
  cpu.readSync = (dataId) => {
    const values = readSync(dataId);
    return pool.owns(values) ? values.slice() : values;
  };
  cpu.read = async (dataId) => cpu.readSync(dataId);
  onFreedData(backend, [{ freed: (_dataId, values) => pool.released(values), disposed: () => pool.clear() }, ...alsoOnFree]);
}
