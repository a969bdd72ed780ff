/**
 * A speaker's voicing as a function of the spectral envelope: which envelopes this
 * speaker voices. Logistic regression over the envelope normalised with the speaker's
 * statistics, a few frames either side, fitted on the speaker's training recordings
 * against the front end's voicing decisions.
 *
 * Conversion uses the TARGET speaker's classifier on the converted envelope, so the
 * output is also voiced where the target would voice what is said (two speakers saying
 * the same words do not voice the same frames: on samples/dev bob voices 61% of frames
 * and alice 80%), not only where the source was voiced.
 */
import type { Spectrogram } from '../audio/config.js';
import { spectralEnvelope } from '../audio/envelope.js';
import type { SpeakerStats } from './normalization.js';

export interface VoicingClassifier {
  /** Frames either side of the classified frame that it sees. */
  context: number;
  /** One weight per (offset −context..context, mel bin), offset-major. */
  weights: number[];
  bias: number;
}

export interface VoicingFitOptions {
  context: number;
  /** Full-batch Adam steps, step size and L2 penalty. */
  steps: number;
  learningRate: number;
  l2: number;
  /** At most this many frames are used (an even stride over the corpus), which bounds the fit's time. */
  maxFrames: number;
}

/**
 * ±2 frames (±23 ms at the default hop) see a transition coming; 150 steps converge
 * (training accuracy 0.98 on slt's 69 recordings in about 10 s of one core).
 */
export const DEFAULT_VOICING_FIT: Readonly<VoicingFitOptions> = Object.freeze({ context: 2, steps: 150, learningRate: 0.05, l2: 1e-3, maxFrames: 60000 });

/** Features of frame t: the normalised envelope of frames t−c..t+c (clamped at the edges). */
function frameFeatures(envelope: Spectrogram, stats: SpeakerStats, context: number, t: number, out: Float64Array): void {
  const { rows, frames, data } = envelope;
  let k = 0;
  for (let d = -context; d <= context; d++) {
    const u = Math.min(frames - 1, Math.max(0, t + d));
    for (let m = 0; m < rows; m++) out[k++] = (data[m * frames + u] - stats.mean[m]) / stats.std[m];
  }
}

/**
 * Fit a speaker's classifier on their envelopes [nMels, T] and the voicing (1/0 per
 * frame) of the same frames. Deterministic: zero start, full batch.
 */
export function fitVoicingClassifier(
  envelopes: readonly Spectrogram[],
  voiced: readonly Uint8Array[],
  stats: SpeakerStats,
  options: Readonly<VoicingFitOptions> = DEFAULT_VOICING_FIT,
): VoicingClassifier {
  if (envelopes.length === 0 || envelopes.length !== voiced.length) throw new Error('fitVoicingClassifier: need one voicing track per envelope');
  const rows = envelopes[0].rows;
  const size = (2 * options.context + 1) * rows;
  const total = envelopes.reduce((n, e, i) => {
    if (e.rows !== rows || voiced[i].length !== e.frames) throw new Error('fitVoicingClassifier: envelopes and voicing tracks do not match');
    return n + e.frames;
  }, 0);
  const stride = Math.max(1, Math.ceil(total / options.maxFrames));
  const features: Float64Array[] = [];
  const labels: number[] = [];
  let index = 0;
  envelopes.forEach((envelope, i) => {
    for (let t = 0; t < envelope.frames; t++, index++) {
      if (index % stride !== 0) continue;
      const x = new Float64Array(size);
      frameFeatures(envelope, stats, options.context, t, x);
      features.push(x);
      labels.push(voiced[i][t] ? 1 : 0);
    }
  });
  // Weights 0..size-1, bias at size.
  const w = new Float64Array(size + 1);
  const grad = new Float64Array(size + 1);
  const m1 = new Float64Array(size + 1);
  const m2 = new Float64Array(size + 1);
  const n = features.length;
  for (let step = 1; step <= options.steps; step++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const x = features[i];
      let z = w[size];
      for (let k = 0; k < size; k++) z += w[k] * x[k];
      const err = 1 / (1 + Math.exp(-z)) - labels[i];
      for (let k = 0; k < size; k++) grad[k] += err * x[k];
      grad[size] += err;
    }
    for (let k = 0; k <= size; k++) {
      const g = grad[k] / n + (k < size ? options.l2 * w[k] : 0);
      m1[k] = 0.9 * m1[k] + 0.1 * g;
      m2[k] = 0.999 * m2[k] + 0.001 * g * g;
      w[k] -= (options.learningRate * (m1[k] / (1 - 0.9 ** step))) / (Math.sqrt(m2[k] / (1 - 0.999 ** step)) + 1e-8);
    }
  }
  return { context: options.context, weights: Array.from(w.subarray(0, size)), bias: w[size] };
}

/** P(voiced) of every frame of an envelope [nMels, T] for the speaker the classifier and statistics belong to. */
export function voicingProbability(classifier: VoicingClassifier, envelope: Spectrogram, stats: SpeakerStats): Float64Array {
  const size = (2 * classifier.context + 1) * envelope.rows;
  if (classifier.weights.length !== size) throw new Error(`voicingProbability: classifier has ${classifier.weights.length} weights, ${size} expected for ${envelope.rows} bins`);
  const x = new Float64Array(size);
  const p = new Float64Array(envelope.frames);
  for (let t = 0; t < envelope.frames; t++) {
    frameFeatures(envelope, stats, classifier.context, t, x);
    let z = classifier.bias;
    for (let k = 0; k < size; k++) z += classifier.weights[k] * x[k];
    p[t] = 1 / (1 + Math.exp(-z));
  }
  return p;
}

/** The share of frames whose voicing the classifier gets right (P > 0.5 against the 1/0 labels). */
export function voicingAccuracy(classifier: VoicingClassifier, envelopes: readonly Spectrogram[], voiced: readonly Uint8Array[], stats: SpeakerStats): number {
  let right = 0;
  let frames = 0;
  envelopes.forEach((envelope, i) => {
    const p = voicingProbability(classifier, envelope, stats);
    for (let t = 0; t < p.length; t++) right += (p[t] > 0.5 ? 1 : 0) === (voiced[i][t] ? 1 : 0) ? 1 : 0;
    frames += p.length;
  });
  return frames > 0 ? right / frames : 0;
}

/**
 * Fit a speaker's classifier on their recordings: each utterance's spectral envelope
 * (given, when the caller has them already, or computed from its log-mel) against its
 * pitch track's voicing; and how many of those frames it then gets right. What training
 * and scripts/add-voicing.mjs both do.
 */
export function fitSpeakerVoicing(
  utterances: readonly { logMel: Spectrogram; pitch: { voiced: Uint8Array } }[],
  stats: SpeakerStats,
  envelopes: readonly Spectrogram[] = utterances.map((u) => spectralEnvelope(u.logMel)),
): { classifier: VoicingClassifier; accuracy: number } {
  const labels = utterances.map((u) => u.pitch.voiced);
  const classifier = fitVoicingClassifier(envelopes, labels, stats);
  return { classifier, accuracy: voicingAccuracy(classifier, envelopes, labels, stats) };
}

/** Whether a classifier read from a file is whole: a context, finite weights of the right count for nMels, a finite bias. */
export function isVoicingClassifier(value: unknown, nMels: number): value is VoicingClassifier {
  const c = value as VoicingClassifier;
  return (
    !!c &&
    Number.isInteger(c.context) &&
    c.context >= 0 &&
    Array.isArray(c.weights) &&
    c.weights.length === (2 * c.context + 1) * nMels &&
    c.weights.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    typeof c.bias === 'number' &&
    Number.isFinite(c.bias)
  );
}
