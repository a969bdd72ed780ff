import type * as tf from '@tensorflow/tfjs';

/**
 * Reuse of the native kernels' output buffers.
 *
 * A training step allocates about a gigabyte of short-lived outputs. As fresh
 * Float32Arrays they are zero-filled, first-touched page by page (page faults cost tens
 * of microseconds on a loaded virtual machine) and reclaimed only by the garbage
 * collector, so memory is always cold: allocation costs 10-50x the arithmetic of an
 * element-wise kernel. The pool instead hands a disposed tensor's buffer to the next
 * output of the same size, still mapped and often still in cache.
 *
 * A buffer is recycled only when nothing else can see it: it was allocated here, its
 * tensor data was disposed, no other tensor data was ever registered on the same memory
 * (a cpu kernel's view, e.g. a contiguous slice), and it was never handed out by
 * readSync/read (those return copies of pooled buffers).
 */

/** The members of tfjs's MathBackendCPU that recycling hooks into. */
interface CpuBackendInternals {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined; has(dataId: tf.DataId): boolean };
  write(values: unknown, shape: number[], dtype: tf.DataType): tf.DataId;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  readSync(dataId: tf.DataId): unknown;
  read(dataId: tf.DataId): Promise<unknown>;
  dispose(): void;
}

/**
 * Smaller outputs are plain new arrays: V8 allocates them cheaply in its young generation
 * (the smallest even inside the JS heap, where asking for their ArrayBuffer would copy them
 * out), and they are no page-fault risk.
 */
const MIN_POOLED_LENGTH = 1024;

/** Taken by a kernel but not yet registered, registered as a tensor's data, or free. */
type BufferState = 'issued' | 'live' | 'free';

export class BufferPool {
  /** Free buffers by length. */
  private readonly free = new Map<number, Float32Array[]>();
  /**
   * Every buffer this pool allocated that may still come back, by its memory, with its
   * state. (A Map, not a WeakMap: weak collections of many short-lived keys slow the
   * garbage collector down. Entries leave when a buffer is pinned or dropped.)
   */
  private readonly owned = new Map<ArrayBuffer, BufferState>();
  private freeBytes = 0;

  /** @param maxFreeBytes free memory kept for reuse; beyond it, returned buffers are left to the GC */
  constructor(readonly maxFreeBytes: number) {}

  /** A buffer of `length` floats with arbitrary contents: the caller overwrites all of it. */
  take(length: number): Float32Array {
    if (length < MIN_POOLED_LENGTH) return new Float32Array(length);
    const stack = this.free.get(length);
    for (let reused = stack?.pop(); reused !== undefined; reused = stack!.pop()) {
      this.freeBytes -= reused.byteLength;
      const memory = reused.buffer as ArrayBuffer;
      if (this.owned.get(memory) !== 'free') continue; // pinned while free: no longer ours
      this.owned.set(memory, 'issued');
      return reused;
    }
    const fresh = new Float32Array(length);
    this.owned.set(fresh.buffer as ArrayBuffer, 'issued');
    return fresh;
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
    const state = this.owned.get(memory);
    if (state === undefined) return;
    if (state === 'issued' && values.byteOffset === 0 && values.byteLength === memory.byteLength) {
      this.owned.set(memory, 'live');
    } else {
      this.owned.delete(memory);
    }
  }

  /** The tensor data on `values` was disposed: keep the buffer for reuse if it is ours. */
  released(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const memory = values.buffer as ArrayBuffer;
    if (this.owned.get(memory) !== 'live' || values.byteLength !== memory.byteLength) return;
    if (this.freeBytes + values.byteLength > this.maxFreeBytes) {
      this.owned.delete(memory); // dropped: the GC frees it
      return;
    }
    this.owned.set(memory, 'free');
    let stack = this.free.get(values.length);
    if (stack === undefined) this.free.set(values.length, (stack = []));
    stack.push(values);
    this.freeBytes += values.byteLength;
  }

  /** Bytes held for reuse. */
  get heldBytes(): number {
    return this.freeBytes;
  }

  /** Forgets every buffer (the backend holding them was disposed). */
  clear(): void {
    this.free.clear();
    this.owned.clear();
    this.freeBytes = 0;
  }
}

/**
 * Hooks `pool` into a cpu backend instance: registrations and disposals of tensor data
 * are reported to it, and reads return copies of pooled buffers (a caller may keep what
 * dataSync returns for as long as it likes).
 */
export function recycleBuffers(backend: tf.KernelBackend, pool: BufferPool): void {
  const cpu = backend as unknown as CpuBackendInternals;
  const write = cpu.write.bind(cpu);
  const disposeData = cpu.disposeData.bind(cpu);
  const readSync = cpu.readSync.bind(cpu);
  cpu.write = (values, shape, dtype) => {
    pool.registered(values);
    return write(values, shape, dtype);
  };
  cpu.disposeData = (dataId, force) => {
    const values = cpu.data.get(dataId)?.values;
    const disposed = disposeData(dataId, force);
    if (disposed && values !== undefined && !cpu.data.has(dataId)) pool.released(values);
    return disposed;
  };
  cpu.readSync = (dataId) => {
    const values = readSync(dataId);
    return pool.owns(values) ? values.slice() : values;
  };
  cpu.read = async (dataId) => cpu.readSync(dataId);
  const dispose = cpu.dispose.bind(cpu);
  cpu.dispose = () => {
    dispose();
    pool.clear();
  };
}
