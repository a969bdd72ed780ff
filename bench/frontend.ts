/**
 * Front-end speed: |STFT|, mel and log-mel of ~10 s of speech, and the whole input path
 * (read a 44.1 kHz stereo WAV, resample to 22.05 kHz, log-mel). Figures are wall-clock
 * milliseconds per second of audio, median of several runs after warm-up runs so the JIT
 * has compiled the hot loops. librosa 0.10.1 takes about 0.5 ms per second of audio for
 * the log-mel and 0.35 for the STFT on the 2-core reference machine
 * (tests/fixtures: see the fixtures README).
 */
import { logMelSpectrogram } from '../src/audio/features.js';
import { melSpectrogram } from '../src/audio/mel.js';
import { resample } from '../src/audio/resample.js';
import { stftMagnitude } from '../src/audio/stft.js';
import { readWav } from '../src/audio/wav.js';
import { fixturesDir, medianOf, timeRuns, type BenchResult } from './common.js';

const SAMPLE_RATE = 22050;
const AUDIO_SECONDS = 10;
const WARMUP_RUNS = 5;
const TIMED_RUNS = 21;

/** The fixture speech, concatenated and repeated to `seconds` at 22.05 kHz. */
export function speech(seconds: number): Float32Array {
  const dir = fixturesDir();
  const parts = ['speech_female.wav', 'speech_male.wav'].map((f) => readWav(dir + f).samples);
  const out = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  let at = 0;
  for (let i = 0; at < out.length; i++) {
    const part = parts[i % parts.length];
    const n = Math.min(part.length, out.length - at);
    out.set(part.subarray(0, n), at);
    at += n;
  }
  return out;
}

export async function benchFrontend(): Promise<BenchResult[]> {
  const x = speech(AUDIO_SECONDS);
  const results: BenchResult[] = [];
  const perSecond = (name: string, run: () => unknown, seconds: number): void => {
    const times = timeRuns(run, TIMED_RUNS, WARMUP_RUNS);
    results.push({ name: `${name} (median)`, value: medianOf(times) / seconds, unit: 'ms per s of audio' });
    results.push({ name: `${name} (best)`, value: times[0] / seconds, unit: 'ms per s of audio' });
  };
  perSecond('frontend: log-mel of 10 s speech', () => logMelSpectrogram(x), AUDIO_SECONDS);
  perSecond('frontend: mel of 10 s speech', () => melSpectrogram(x), AUDIO_SECONDS);
  perSecond('frontend: |STFT| of 10 s speech', () => stftMagnitude(x), AUDIO_SECONDS);

  const stereoPath = fixturesDir() + 'speech_44k_stereo.wav';
  const { durationSeconds } = readWav(stereoPath);
  perSecond(
    'frontend: read 44.1 kHz stereo WAV + resample + log-mel',
    () => {
      const wav = readWav(stereoPath);
      logMelSpectrogram(resample(wav.samples, wav.sampleRate, SAMPLE_RATE));
    },
    durationSeconds,
  );
  return results;
}
