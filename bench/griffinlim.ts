/**
 * Griffin-Lim quality and speed, and the vocoder (log-mel → waveform).
 *
 * 1. Copy synthesis from speech_female's exact |STFT| (185 frames, 2.14 s), as in
 *    tests/fixtures/gl_reference.txt: spectral convergence (dB) and seconds for 8, 16,
 *    32, 64 and 100 iterations with random (seed 0), zero and PGHI initial phase.
 *    librosa 0.10.1, random start: −13.20 −17.48 −25.85 −30.05 −32.49 dB in
 *    0.043 0.067 0.114 0.209 0.314 s.
 * 2. Mel inversion methods on the three fixture log-mels: mel error, distance to the true
 *    |STFT|, SC of the vocoded audio against the true |STFT|, and speed.
 * 3. Real-time factor of logMelToAudio at its defaults (compute time / audio duration).
 */
import type { Spectrogram } from '../src/audio/config.js';
import { griffinLim, logMelToAudio, spectralConvergenceDb, type PhaseInit } from '../src/audio/griffinlim.js';
import { melFilterbank } from '../src/audio/mel.js';
import { melToLinear, type MelInversionMethod } from '../src/audio/mel-inverse.js';
import { readWav } from '../src/audio/wav.js';
import { readNpy } from '../src/io/npy.js';
import { fixturesDir, medianOf, timeRuns, type BenchResult } from './common.js';

const ITERATIONS = [8, 16, 32, 64, 100];
const INITS: PhaseInit[] = ['random', 'zero', 'pghi'];
const METHODS: MelInversionMethod[] = ['pinv', 'interpolate', 'kl'];
const HOP_SECONDS = 256 / 22050;

function spectrogram(file: string): Spectrogram {
  const { shape, data } = readNpy(fixturesDir() + file);
  return { data, rows: shape[0], frames: shape[1] };
}

/** 20·log10(‖a − b‖ / ‖b‖). */
function relativeErrorDb(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d2 = 0;
  let b2 = 0;
  for (let i = 0; i < b.length; i++) {
    d2 += (a[i] - b[i]) ** 2;
    b2 += b[i] ** 2;
  }
  return 10 * Math.log10(d2 / b2);
}

/** A·s for every frame of s ([bins, T]) with the dense filterbank ([nMels, bins]). */
function project(bank: Spectrogram, s: Spectrogram): Float64Array {
  const out = new Float64Array(bank.rows * s.frames);
  for (let b = 0; b < bank.rows; b++) {
    for (let k = 0; k < bank.frames; k++) {
      const w = bank.data[b * bank.frames + k];
      if (w === 0) continue;
      for (let t = 0; t < s.frames; t++) out[b * s.frames + t] += w * s.data[k * s.frames + t];
    }
  }
  return out;
}

function copySynthesis(results: BenchResult[]): void {
  const target = spectrogram('speech_female.stftmag.npy');
  const length = readWav(fixturesDir() + 'speech_female.wav').samples.length;
  // Warm the JIT on every code path first, so the first row is not charged for compiling.
  for (const init of INITS) griffinLim(target, { iterations: 8, init, length });
  console.log('Griffin-Lim copy synthesis, speech_female (2.14 s): SC dB / seconds (median of 5)');
  console.log(['init', ...ITERATIONS.map((n) => `${n} it`)].join('\t'));
  for (const init of INITS) {
    const cells: string[] = [init];
    for (const iterations of ITERATIONS) {
      let audio: Float32Array = new Float32Array(0);
      const times = timeRuns(() => (audio = griffinLim(target, { iterations, init, seed: 0, length })), 5, 1);
      const sc = spectralConvergenceDb(target, audio);
      const seconds = medianOf(times) / 1000;
      cells.push(`${sc.toFixed(2)} / ${seconds.toFixed(3)}`);
      results.push({ name: `griffin-lim ${init} ${iterations} it: SC`, value: sc, unit: 'dB' });
      results.push({ name: `griffin-lim ${init} ${iterations} it: time`, value: seconds, unit: 's' });
    }
    console.log(cells.join('\t'));
  }
}

function melInversion(results: BenchResult[]): void {
  const bank = melFilterbank();
  console.log('\nMel inversion (speech_female / speech_male / chirp):');
  console.log('method\t‖Aŝ − m‖/‖m‖ dB\t‖ŝ − S‖/‖S‖ dB\tvocoder SC vs S dB\tms per s of audio');
  for (const method of METHODS) {
    const cells: string[][] = [[], [], [], []];
    for (const name of ['speech_female', 'speech_male', 'chirp']) {
      const logMel = spectrogram(`${name}.logmel.npy`);
      const truth = spectrogram(`${name}.stftmag.npy`);
      const mel: Spectrogram = { ...logMel, data: logMel.data.map(Math.exp) };
      let linear = melToLinear(mel, undefined, { method });
      const times = timeRuns(() => (linear = melToLinear(mel, undefined, { method })), 5, 2);
      const audio = logMelToAudio(logMel, { melInversion: method });
      const vocoderSc = spectralConvergenceDb(truth, audio);
      cells[0].push(relativeErrorDb(project(bank, linear), mel.data).toFixed(1));
      cells[1].push(relativeErrorDb(linear.data, truth.data).toFixed(2));
      cells[2].push(vocoderSc.toFixed(2));
      cells[3].push((medianOf(times) / (logMel.frames * HOP_SECONDS)).toFixed(2));
      results.push({ name: `mel inversion ${method} ${name}: vocoder SC`, value: vocoderSc, unit: 'dB' });
    }
    console.log([method, ...cells.map((c) => c.join(' '))].join('\t'));
  }
}

function vocoderSpeed(results: BenchResult[]): void {
  const logMel = spectrogram('speech_female.logmel.npy');
  const seconds = (logMel.frames - 1) * HOP_SECONDS;
  const times = timeRuns(() => logMelToAudio(logMel), 5, 1);
  const rtf = medianOf(times) / 1000 / seconds;
  console.log(`\nlogMelToAudio at its defaults: ${medianOf(times).toFixed(1)} ms for ${seconds.toFixed(2)} s of audio, real-time factor ${rtf.toFixed(4)}`);
  results.push({ name: 'vocoder (logMelToAudio defaults): real-time factor', value: rtf, unit: 'compute s per audio s' });
}

export async function benchGriffinLim(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  copySynthesis(results);
  melInversion(results);
  vocoderSpeed(results);
  return results;
}
