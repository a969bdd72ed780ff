import type { Spectrogram } from '../audio/config.js';

/**
 * Per-speaker, per-mel-bin statistics of the log-mel. The generator A->B sees its input
 * normalised with A's statistics and its output is de-normalised with B's: the network
 * works in "standard units", each speaker's own level and spectral tilt live here.
 */
export interface SpeakerStats {
  mean: Float32Array;
  std: Float32Array;
}

export interface StatsOptions {
  /**
   * Leave out frames quieter than the utterance's loudest frame by more than this many
   * dB (frame level = log of the summed mel magnitude). Silence is a constant floor value
   * that would drag the means down and shrink the deviations of the bins that carry the
   * voice; 0 keeps every frame.
   */
  silenceDb: number;
}

export const DEFAULT_STATS_OPTIONS: StatsOptions = { silenceDb: 40 };

/** Per-frame level, ln(sum over bins of the magnitude mel), of a log-mel [bins, frames]. */
export function frameLevels(logMel: Spectrogram): Float64Array {
  const { rows, frames, data } = logMel;
  const levels = new Float64Array(frames);
  for (let r = 0; r < rows; r++) {
    const row = r * frames;
    for (let t = 0; t < frames; t++) levels[t] += Math.exp(data[row + t]);
  }
  for (let t = 0; t < frames; t++) levels[t] = Math.log(levels[t]);
  return levels;
}

/** Which frames count as voice rather than silence (see StatsOptions.silenceDb). */
export function voicedFrameMask(logMel: Spectrogram, silenceDb: number): Uint8Array {
  const levels = frameLevels(logMel);
  const mask = new Uint8Array(logMel.frames);
  if (silenceDb <= 0) return mask.fill(1);
  let max = -Infinity;
  for (const l of levels) max = Math.max(max, l);
  const threshold = max - (silenceDb / 20) * Math.LN10;
  for (let t = 0; t < levels.length; t++) mask[t] = levels[t] >= threshold ? 1 : 0;
  return mask;
}

/** Mean and standard deviation of every bin over all (non-silent) frames of all utterances. */
export function computeSpeakerStats(utterances: Spectrogram[], options: StatsOptions = DEFAULT_STATS_OPTIONS): SpeakerStats {
  if (utterances.length === 0) throw new Error('computeSpeakerStats: no utterances');
  const rows = utterances[0].rows;
  const sum = new Float64Array(rows);
  const sumSq = new Float64Array(rows);
  let count = 0;
  for (const u of utterances) {
    if (u.rows !== rows) throw new Error(`computeSpeakerStats: mixed bin counts ${rows} and ${u.rows}`);
    const mask = voicedFrameMask(u, options.silenceDb);
    for (let r = 0; r < rows; r++) {
      const row = r * u.frames;
      for (let t = 0; t < u.frames; t++) {
        if (!mask[t]) continue;
        const v = u.data[row + t];
        sum[r] += v;
        sumSq[r] += v * v;
      }
    }
    for (let t = 0; t < u.frames; t++) count += mask[t];
  }
  if (count < 2) throw new Error('computeSpeakerStats: fewer than 2 non-silent frames');
  const mean = new Float32Array(rows);
  const std = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const m = sum[r] / count;
    mean[r] = m;
    // A bin that never varies (e.g. always at the floor) would divide by zero.
    std[r] = Math.max(Math.sqrt(Math.max(0, sumSq[r] / count - m * m)), 1e-3);
  }
  return { mean, std };
}

/** (x - mean) / std per bin: into the network's units. Returns a new spectrogram. */
export function normalizeLogMel(logMel: Spectrogram, stats: SpeakerStats): Spectrogram {
  return mapRows(logMel, (v, r) => (v - stats.mean[r]) / stats.std[r]);
}

/** x * std + mean per bin: out of the network's units, with the TARGET speaker's stats. */
export function denormalizeLogMel(normalized: Spectrogram, stats: SpeakerStats): Spectrogram {
  return mapRows(normalized, (v, r) => v * stats.std[r] + stats.mean[r]);
}

function mapRows(spec: Spectrogram, f: (value: number, row: number) => number): Spectrogram {
  const { rows, frames, data } = spec;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const row = r * frames;
    for (let t = 0; t < frames; t++) out[row + t] = f(data[row + t], r);
  }
  return { data: out, rows, frames };
}

/**
 * Per-bin value of digital silence (the log floor) in a speaker's normalised units: what
 * short training crops and the tail of a converted input are padded with.
 */
export function normalizedSilence(stats: SpeakerStats, logFloor: number): Float32Array {
  const floor = Math.log(logFloor);
  return Float32Array.from(stats.mean, (m, r) => (floor - m) / stats.std[r]);
}
