/**
 * Audio input benchmarks: WAV read + decode + mixdown, and resampling to the model rate.
 * Figures are milliseconds of wall time per second of audio (median of several runs,
 * after warm-up runs so the JIT has compiled the hot loops).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resample } from '../src/audio/resample.js';
import { readWav } from '../src/audio/wav.js';
import { medianOf, timeRuns, type BenchResult } from './common.js';

const AUDIO_SECONDS = 10;
const WARMUP_RUNS = 2;
const TIMED_RUNS = 7;

function medianMs(run: () => unknown): number {
  return medianOf(timeRuns(run, TIMED_RUNS, WARMUP_RUNS));
}

/** A plain 16-bit stereo WAV of a two-tone signal, the commonest kind of user file. */
function stereoPcm16Wav(sampleRate: number, seconds: number): Uint8Array {
  const frames = sampleRate * seconds;
  const bytes = new Uint8Array(44 + frames * 4);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, bytes.length - 8, true);
  ascii(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 2, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 4, true);
  view.setUint16(32, 4, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, frames * 4, true);
  for (let i = 0; i < frames; i++) {
    const t = i / sampleRate;
    view.setInt16(44 + 4 * i, Math.round(12000 * Math.sin(2 * Math.PI * 220 * t)), true);
    view.setInt16(46 + 4 * i, Math.round(9000 * Math.sin(2 * Math.PI * 3300 * t)), true);
  }
  return bytes;
}

export async function benchResample(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const perSecond = (ms: number) => ms / AUDIO_SECONDS;

  const dir = mkdtempSync(join(tmpdir(), 'voiceswap-bench-'));
  try {
    const path = join(dir, 'stereo44k.wav');
    writeFileSync(path, stereoPcm16Wav(44100, AUDIO_SECONDS));
    results.push({
      name: 'wav read+decode (44.1 kHz stereo pcm16 -> mono)',
      value: perSecond(medianMs(() => readWav(path))),
      unit: 'ms per audio second',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  for (const [from, to] of [
    [44100, 22050],
    [48000, 22050],
    [16000, 22050],
  ] as const) {
    const x = Float32Array.from({ length: from * AUDIO_SECONDS }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / from));
    results.push({
      name: `resample ${from / 1000}k -> ${to / 1000}k`,
      value: perSecond(medianMs(() => resample(x, from, to))),
      unit: 'ms per audio second',
    });
  }
  return results;
}
