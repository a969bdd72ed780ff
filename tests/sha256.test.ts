import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/util/sha256.js';

describe('sha256Hex (the browser-side weights check)', () => {
  it('matches node:crypto on every tail length around the block boundaries', () => {
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);
      expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
  it("matches the shipped model's recorded checksum", () => {
    const json = JSON.parse(readFileSync('models/alice-bob/model.json', 'utf8'));
    expect(sha256Hex(readFileSync('models/alice-bob/weights.bin'))).toBe(json.weights.sha256);
  });
});
