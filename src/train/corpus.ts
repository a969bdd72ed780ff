import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FeatureConfig, Spectrogram } from '../audio/config.js';
import { logMelSpectrogram } from '../audio/features.js';
import { DEFAULT_PITCH_CLEANUP, frontEndF0Config, pitchTrackFromF0, trackPitch, type F0Track } from '../audio/pitch.js';
import { resample } from '../audio/resample.js';
import { decodeWav } from '../audio/wav.js';
import { VoiceswapError } from '../errors.js';
import { makeDirectory } from '../io/mkdir.js';
import { listWavFiles } from '../io/wav-files.js';
import { parseNpy, writeNpy } from '../io/npy.js';

/** Below this a speaker cannot be trained at all; below the recommendation quality suffers. */
export const MIN_SPEAKER_SECONDS = 10;
export const RECOMMENDED_SPEAKER_SECONDS = 120;

export interface Utterance {
  /** Path of the WAV file. */
  file: string;
  /** Log-mel [nMels, frames] under the run's feature config. */
  logMel: Spectrogram;
  /** The front end's pitch track, one frame per log-mel frame. */
  pitch: F0Track;
  seconds: number;
}

export interface SpeakerCorpus {
  dir: string;
  utterances: Utterance[];
  seconds: number;
  /** Files that could not be read, with the one-line reason. */
  skipped: { file: string; problem: string }[];
}

/** The cache key of one file's features: its bytes and the exact feature config. */
export function featureCacheKey(bytes: Uint8Array, cfg: FeatureConfig): string {
  return createHash('sha256').update(bytes).update(JSON.stringify(cfg)).digest('hex').slice(0, 40);
}

/** The cache key of one file's pitch track: its bytes, the feature config and the tracker's settings. */
function pitchCacheKey(bytes: Uint8Array, cfg: FeatureConfig): string {
  return createHash('sha256').update(bytes).update(JSON.stringify({ f0: frontEndF0Config(cfg), cleanup: DEFAULT_PITCH_CLEANUP })).digest('hex').slice(0, 40);
}

/** Read one WAV (any format the front end reads) into a log-mel and pitch track, through the cache when given one. */
export function utteranceFeatures(file: string, cfg: FeatureConfig, cacheDir?: string): Utterance {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new VoiceswapError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const cached = cacheDir ? join(cacheDir, `${featureCacheKey(bytes, cfg)}.npy`) : undefined;
  const cachedPitch = cacheDir ? join(cacheDir, `${pitchCacheKey(bytes, cfg)}.f0.npy`) : undefined;
  if (cached && cachedPitch && existsSync(cached) && existsSync(cachedPitch)) {
    const arr = parseNpy(readFileSync(cached), cached);
    const logMel = { data: arr.data, rows: arr.shape[0], frames: arr.shape[1] };
    const f0Hz = Float64Array.from(parseNpy(readFileSync(cachedPitch), cachedPitch).data);
    return { file, logMel, pitch: pitchTrackFromF0(f0Hz, cfg), seconds: ((logMel.frames - 1) * cfg.hopLength) / cfg.sampleRate };
  }
  const wav = decodeWav(bytes, file);
  const samples = resample(wav.samples, wav.sampleRate, cfg.sampleRate);
  const logMel = logMelSpectrogram(samples, cfg);
  const pitch = trackPitch(samples, cfg);
  if (cached && cachedPitch) {
    try {
      writeNpy(cached, { shape: [logMel.rows, logMel.frames], data: logMel.data });
      writeNpy(cachedPitch, { shape: [1, pitch.f0Hz.length], data: Float32Array.from(pitch.f0Hz) });
    } catch (err) {
      // The cache only saves time: a failed write (a full disk) must not make the recording
      // look unreadable to loadSpeakerCorpus, which skips files whose reading fails.
      if (!(err instanceof VoiceswapError)) throw err;
    }
  }
  return { file, logMel, pitch, seconds: samples.length / cfg.sampleRate };
}

export interface LoadCorpusOptions {
  cacheDir?: string;
  /** Files to leave out (e.g. the held-out sample clips). */
  exclude?: Set<string>;
  warn?: (message: string) => void;
}

/**
 * Every readable WAV under `dir` as log-mel features. Unreadable files are skipped with
 * a warning each; too little audio in total is an error that says how much was found.
 */
export function loadSpeakerCorpus(dir: string, cfg: FeatureConfig, options: LoadCorpusOptions = {}): SpeakerCorpus {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  if (options.cacheDir) makeDirectory(options.cacheDir);
  const files = listWavFiles(dir, { recursive: true }).filter((f) => !options.exclude?.has(f));
  const utterances: Utterance[] = [];
  const skipped: SpeakerCorpus['skipped'] = [];
  for (const file of files) {
    try {
      utterances.push(utteranceFeatures(file, cfg, options.cacheDir));
    } catch (err) {
      if (!(err instanceof VoiceswapError)) throw err;
      const problem = err.message.startsWith(file) ? err.message.slice(file.length).replace(/^:\s*/, '') : err.message;
      skipped.push({ file, problem });
      warn(`skipping ${relative('.', file)}: ${problem}`);
    }
  }
  const seconds = utterances.reduce((s, u) => s + u.seconds, 0);
  const found = `found ${utterances.length} usable WAV file(s), ${seconds.toFixed(1)} s of audio` + (skipped.length ? ` (${skipped.length} skipped)` : '');
  if (seconds < MIN_SPEAKER_SECONDS) {
    throw new VoiceswapError(`${dir}: not enough audio to train: ${found}; need at least ${MIN_SPEAKER_SECONDS} s (${RECOMMENDED_SPEAKER_SECONDS} s or more recommended)`);
  }
  if (seconds < RECOMMENDED_SPEAKER_SECONDS) {
    warn(`${dir}: only ${seconds.toFixed(1)} s of audio; quality will suffer below ${RECOMMENDED_SPEAKER_SECONDS} s (3-5 minutes per speaker is better)`);
  }
  if (skipped.length) warn(`${dir}: ${skipped.length} file(s) skipped, ${found}`);
  return { dir, utterances, seconds, skipped };
}
