import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { convertFile } from '../src/convert/convert-file.js';
import { disposeVoiceModel, loadVoiceModel } from '../src/convert/voice-model.js';
import { customConfig } from '../src/model/presets.js';
import { readLossRecords } from '../src/run/loss-log.js';
import { train } from '../src/train/train.js';
import { REPO } from './helpers/cli.js';

/**
 * A run directory and a model written by the code before the run/ restructure
 * (tests/fixtures/legacy-run/README.md): they still load, convert and resume, and give
 * what that code computed from them (golden.json).
 */
const FIXTURE = join(REPO, 'tests', 'fixtures', 'legacy-run');
const golden = JSON.parse(readFileSync(join(FIXTURE, 'golden.json'), 'utf8'));
const root = mkdtempSync(join(tmpdir(), 'voiceswap-legacy-'));
const data = join(root, 'data');
const run = join(root, 'run');

beforeAll(async () => {
  await initBackend('cpu');
  cpSync(FIXTURE, root, { recursive: true });
  // The run was made with its data in /tmp/fx/data: point it at the copy's.
  for (const file of ['run/run.json', 'run/checkpoints/iter-00000004/model.json']) {
    const path = join(root, file);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll('/tmp/fx/data', data));
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a run and a model from before the restructure', () => {
  it('the model loads and converts a clip as it did', () => {
    const model = loadVoiceModel(join(run, 'export', 'iter-00000004'));
    try {
      // The golden output predates the vocoder's harmonic lock (tested in harmonic-lock.test.ts), the
      // formant warp (excitation.test.ts), the output peak limit (convert.test.ts) and the input's own
      // statistics (input-stats.test.ts): convert without them.
      const options = { iterations: golden.convert.iterations, seed: golden.convert.seed, harmonicLock: null, formantRatio: 1, peakLimit: null, inputStats: 'speaker' as const };
      const { samples } = convertFile(model, join(root, golden.convert.clip), join(root, 'converted.wav'), options);
      expect(samples.length).toBe(golden.convert.length);
      const rms = Math.sqrt(samples.reduce((s, x) => s + x * x, 0) / samples.length);
      expect(rms).toBeCloseTo(golden.convert.rms, 6);
      expect(createHash('sha256').update(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)).digest('hex')).toBe(golden.convert.sha256);
    } finally {
      disposeVoiceModel(model);
    }
  });

  it('the run resumes for two iterations with the losses it had', async () => {
    const result = await train({
      dirA: join(data, 'alice'),
      dirB: join(data, 'bob'),
      out: run,
      model: customConfig(1 / 64),
      iterations: 6,
      batch: 1,
      frames: 16,
      seed: 0,
      resume: true,
      sampleEvery: 100,
      checkpointEvery: 2,
      keep: 2,
      log: () => {},
      warn: () => {},
    });
    expect(result.iteration).toBe(6);
    const records = readLossRecords(join(run, 'losses.jsonl'));
    expect(records.map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [i, want] of golden.resume.losses.entries()) {
      const got = records[4 + i] as unknown as Record<string, number | null>;
      for (const [key, value] of Object.entries(want as Record<string, number | null>)) {
        if (value === null) expect(got[key]).toBeNull();
        else expect(got[key]).toBeCloseTo(value, 6);
      }
    }
    const checkpoint = JSON.parse(readFileSync(join(run, 'checkpoints', 'iter-00000006', 'model.json'), 'utf8'));
    expect(checkpoint.weights.sha256).toBe(golden.resume.checkpointSha256);
  });
});
