/**
 * The native backend's output-buffer pool (src/backend/native/buffers.ts), on its own:
 * size classes (a converted folder has a new frame count in every file), least-recently
 * freed eviction, and the rules that keep a buffer someone else can see out of reuse.
 */
import { describe, expect, it } from 'vitest';
import { BufferPool, sizeClass } from '../src/backend/native/buffers.js';

/** What a kernel and the backend do with an output: take it, register it as a tensor's data. */
function issue(pool: BufferPool, length: number): Float32Array {
  const out = pool.take(length);
  pool.registered(out);
  return out;
}

describe('sizeClass', () => {
  it('rounds up by at most 1/8, to 8 steps per octave, and leaves small lengths alone', () => {
    expect(sizeClass(1000)).toBe(1000);
    for (let n = 1024; n < 300_000; n += 977) {
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c).toBeLessThanOrEqual(n * 1.125);
      expect(sizeClass(c)).toBe(c); // a class is its own class
    }
    // Nearby frame counts mostly share a class: 80 mel bins x 300 and x 305 frames.
    expect(sizeClass(80 * 300)).toBe(sizeClass(80 * 305));
  });
});

describe('BufferPool', () => {
  it('an output of a nearby length reuses a freed buffer of its class, as a view of exactly that length', () => {
    const pool = new BufferPool(2 ** 30);
    const first = issue(pool, 24_000);
    pool.released(first);
    expect(pool.heldBytes).toBe(sizeClass(24_000) * 4);
    const second = pool.take(24_400);
    expect(second.length).toBe(24_400);
    expect(second.buffer).toBe(first.buffer);
    expect(pool.heldBytes).toBe(0);
  });

  it('only the view it handed out, registered once, comes back; a second view of its memory pins it', () => {
    const pool = new BufferPool(2 ** 30);
    const out = issue(pool, 5000);
    pool.released(out.subarray(0, 100)); // not the tensor's data: ignored
    expect(pool.heldBytes).toBe(0);
    pool.registered(out.subarray(10, 20)); // a slice viewing the output: never reuse this memory
    pool.released(out);
    expect(pool.heldBytes).toBe(0);
    expect(pool.owns(out)).toBe(false);
    expect(pool.take(5000).buffer).not.toBe(out.buffer);
  });

  it('past its limit it evicts the buffers freed longest ago, never more than the limit held', () => {
    const bytes = (n: number) => sizeClass(n) * 4;
    const lengths = [4096, 8192, 16384];
    const pool = new BufferPool(bytes(8192) + bytes(16384));
    const outs = lengths.map((n) => issue(pool, n));
    for (const o of outs) {
      pool.released(o);
      expect(pool.heldBytes).toBeLessThanOrEqual(pool.maxFreeBytes);
    }
    expect(pool.heldBytes).toBe(bytes(8192) + bytes(16384));
    // The oldest (4096) went; the two freed last are still there to reuse.
    expect(pool.take(16384).buffer).toBe(outs[2].buffer);
    expect(pool.take(8192).buffer).toBe(outs[1].buffer);
    expect(pool.take(4096).buffer).not.toBe(outs[0].buffer);
  });

  it('a tensor disposed twice (or a buffer released while free) is held once', () => {
    const pool = new BufferPool(2 ** 30);
    const out = issue(pool, 2048);
    pool.released(out);
    pool.released(out);
    expect(pool.heldBytes).toBe(sizeClass(2048) * 4);
    const a = pool.take(2048);
    const b = pool.take(2048);
    expect(a.buffer).toBe(out.buffer);
    expect(b.buffer).not.toBe(out.buffer);
  });

  it('hands out no buffer that queued work still uses: the most recently freed idle one, else a new one', () => {
    const busy = new Set<ArrayBuffer>();
    const pool = new BufferPool(2 ** 30, (buffer) => busy.has(buffer.buffer as ArrayBuffer));
    const [older, newer] = [issue(pool, 4096), issue(pool, 4096)];
    pool.released(older);
    pool.released(newer);
    busy.add(newer.buffer as ArrayBuffer); // a queued call still reads it
    const first = pool.take(4096);
    expect(first.buffer).toBe(older.buffer); // not the newer, busy one
    const second = pool.take(4096);
    expect(second.buffer).not.toBe(newer.buffer); // still busy: a new buffer
    expect(pool.heldBytes).toBe(sizeClass(4096) * 4); // the busy one stays free for later
    busy.clear();
    expect(pool.take(4096).buffer).toBe(newer.buffer);
    expect(pool.heldBytes).toBe(0);
  });
});
