import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '../src/audio/load.js';
import { writeWav } from '../src/audio/wav.js';
import { VoiceswapError } from '../src/errors.js';
import { dtw } from '../src/eval/dtw.js';
import { evaluatePairs, formatReportTable, pairFiles, pairingKey, TELEPHONE_EVALUATION_CONFIG } from '../src/eval/evaluate.js';
import { DEFAULT_F0_CONFIG, median, trackF0, voicedF0 } from '../src/audio/pitch.js';
import { frameMcd, MCD_DB_PER_NEPER, melCepstralDistortion, nonSilentFrames } from '../src/eval/mcd.js';
import { DEFAULT_MEL_CEPSTRUM_CONFIG, freqt, melCepstrogram, warpedFrequency, type MelCepstrogram } from '../src/eval/mel-cepstrum.js';
import { pocketsphinxProblem, transcribeWithPocketsphinx, werForDir } from '../src/eval/recognize.js';
import { harmonicTone as toneAt, noise } from './helpers/signals.js';
import { normalizeWords, parseTexts, sumWordErrors, wordErrorRate, wordErrors } from '../src/eval/wer.js';

const SR = 22050;
const FEMALE = 'tests/fixtures/speech_female.wav';
const MALE = 'tests/fixtures/speech_male.wav';
const female = loadAudio(FEMALE, SR).samples;
const male = loadAudio(MALE, SR).samples;

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

/** x plus white noise at the given SNR (dB). */
function withNoise(x: Float32Array, snrDb: number, seed = 7): Float32Array {
  const n = noise(x.length, seed);
  const gain = (rms(x) / rms(n)) * 10 ** (-snrDb / 20);
  return x.map((v, i) => v + gain * n[i]);
}

/** A band-limited sawtooth at f(t) Hz at the test rate. */
function harmonicTone(seconds: number, hz: (t: number) => number, harmonics: number): Float32Array {
  return toneAt(seconds, hz, harmonics, SR);
}

describe('mel-cepstrum', () => {
  it('freqt with alpha 0 only truncates', () => {
    const c = [0.5, -1, 0.25, 0.125, 2];
    expect(Array.from(freqt(c, 2, 0))).toEqual([0.5, -1, 0.25]);
  });

  it('freqt re-expresses a log spectrum on the warped axis: Σ c_m cos(mω) = Σ mc_m cos(m·β(ω))', () => {
    const c = [0.3, -0.8, 0.4, -0.2, 0.1, 0.05];
    const mc = freqt(c, 80, 0.455);
    for (const omega of [0.1, 0.5, 1, 2, 3]) {
      const linear = c.reduce((s, cm, m) => s + cm * Math.cos(m * omega), 0);
      const beta = warpedFrequency(omega, 0.455);
      const warped = mc.reduce((s, cm, m) => s + cm * Math.cos(m * beta), 0);
      expect(warped).toBeCloseTo(linear, 6);
    }
    // Warping with -alpha undoes it.
    const back = freqt(mc, 5, -0.455);
    c.forEach((cm, m) => expect(back[m]).toBeCloseTo(cm, 6));
  });

  it('alpha > 0 stretches low frequencies, as the mel scale does', () => {
    expect(warpedFrequency(0.2, 0.455)).toBeGreaterThan(0.2 * 2);
    expect(warpedFrequency(Math.PI, 0.455)).toBeCloseTo(Math.PI, 12);
  });

  it('recovers the known mel-cepstrum of a minimum-phase filter: ln|1 − 0.9 e^{-jω}| = −Σ 0.9^m/m cos(mω)', () => {
    const cfg = DEFAULT_MEL_CEPSTRUM_CONFIG;
    const frame = 40;
    const x = new Float32Array(100 * cfg.hopLength);
    x[frame * cfg.hopLength] = 0.5;
    x[frame * cfg.hopLength + 1] = -0.45;
    const got = melCepstrogram(x, cfg);
    const linear = [Math.log(0.5)];
    for (let m = 1; m <= cfg.nFft / 2; m++) linear.push(-(0.9 ** m) / m);
    const expected = freqt(linear, cfg.order, cfg.alpha);
    const width = cfg.order + 1;
    // The Hann window is 1 at the frame centre and 0.99996 one sample later: tolerance 1e-3.
    for (let m = 0; m <= cfg.order; m++) expect(got.coeffs[frame * width + m]).toBeCloseTo(expected[m], 3);
  });
});

describe('DTW', () => {
  it('recovers an exact 2x time stretch', () => {
    const dim = 3;
    const n = 30;
    const a = Float64Array.from(noise(n * dim, 3));
    const b = new Float64Array(2 * n * dim);
    for (let j = 0; j < 2 * n; j++) b.set(a.subarray(Math.floor(j / 2) * dim, (Math.floor(j / 2) + 1) * dim), j * dim);
    const { path, normalizedCost } = dtw(a, b, dim);
    expect(normalizedCost).toBe(0);
    expect(path.b.length).toBe(2 * n);
    path.b.forEach((j, k) => expect(path.a[k]).toBe(Math.floor(j / 2)));
  });

  it('follows a smooth 1.5x stretch to within one frame', () => {
    // Vectors sampled from a smooth trajectory: b(j) = a(j / 1.5).
    const traj = (t: number): number[] => [Math.sin(t / 3), Math.cos(t / 5), Math.sin(t / 7 + 1)];
    const n = 60;
    const m = 90;
    const a = Float64Array.from(Array.from({ length: n }, (_, i) => traj(i)).flat());
    const b = Float64Array.from(Array.from({ length: m }, (_, j) => traj(j / 1.5)).flat());
    const { path } = dtw(a, b, 3);
    expect(path.a[0]).toBe(0);
    expect(path.b[0]).toBe(0);
    expect(path.a[path.a.length - 1]).toBe(n - 1);
    expect(path.b[path.b.length - 1]).toBe(m - 1);
    for (let k = 0; k < path.a.length; k++) expect(Math.abs(path.a[k] - path.b[k] / 1.5)).toBeLessThanOrEqual(1);
  });

  it('rejects an empty sequence', () => {
    expect(() => dtw(new Float64Array(0), new Float64Array(3), 3)).toThrow(VoiceswapError);
  });
});

describe('mel-cepstral distortion', () => {
  const female0 = melCepstrogram(female);
  const male0 = melCepstrogram(male);

  it('equals the RMS difference in dB of the two log spectra on the warped axis (c0 excluded)', () => {
    const order = 24;
    const cepstrogram = (coeffs: number[]): MelCepstrogram => ({ coeffs: Float64Array.from(coeffs), frames: 1, order, energyDb: Float64Array.of(0) });
    const a = Array.from({ length: order + 1 }, (_, m) => Math.sin(m + 1) / (m + 1));
    const b = a.map((c, m) => (m === 0 ? c + 5 : c + 0.05 * Math.cos(3 * m)));
    const mcd = frameMcd(cepstrogram(a), 0, cepstrogram(b), 0);
    // ln|H(β)| = c0 + Σ c_m cos(mβ); sample β densely, compare 20·log10 magnitudes.
    const points = 4096;
    let sum = 0;
    for (let k = 0; k < points; k++) {
      const beta = (Math.PI * (k + 0.5)) / points;
      let diff = 0;
      for (let m = 1; m <= order; m++) diff += (a[m] - b[m]) * Math.cos(m * beta);
      sum += ((20 / Math.LN10) * diff) ** 2;
    }
    expect(mcd).toBeCloseTo(Math.sqrt(sum / points), 9);
    expect(MCD_DB_PER_NEPER).toBeCloseTo(4.3429448, 6);
  });

  it('treats frames more than silenceDb below the loudest frame as silent', () => {
    expect(Array.from(nonSilentFrames(Float64Array.of(-50, 0, -10, -39.9, -40.1, -100), 40))).toEqual([1, 2, 3]);
    expect(Array.from(nonSilentFrames(Float64Array.of(-50, 0, -10, -39.9, -40.1, -100), 60))).toEqual([0, 1, 2, 3, 4]);
  });

  it('is 0 for a file against itself and against itself with extra silence', () => {
    expect(melCepstralDistortion(female0, female0).mcdDb).toBe(0);
    // 0.3 s of digital silence before and 0.15 s after, a whole number of hops so frames line up.
    const hop = DEFAULT_MEL_CEPSTRUM_CONFIG.hopLength;
    const padded = new Float32Array(female.length + 60 * hop);
    padded.set(female, 40 * hop);
    const result = melCepstralDistortion(melCepstrogram(padded), female0);
    expect(result.mcdDb).toBeLessThan(1e-6);
    // The silence was dropped before alignment, so the path pairs frame t + 40 with frame t.
    result.path.a.forEach((t, k) => expect(t - result.path.b[k]).toBe(40));
  });

  it('is symmetric', () => {
    const ab = melCepstralDistortion(female0, male0).mcdDb;
    const ba = melCepstralDistortion(male0, female0).mcdDb;
    expect(ab).toBeGreaterThan(4);
    expect(ba).toBeCloseTo(ab, 9);
  });

  it('grows as noise is added', () => {
    const at = (snrDb: number): number => melCepstralDistortion(melCepstrogram(withNoise(female, snrDb)), female0).mcdDb;
    const mcd30 = at(30);
    const mcd20 = at(20);
    const mcd10 = at(10);
    expect(mcd30).toBeGreaterThan(0.2);
    expect(mcd20).toBeGreaterThan(mcd30 + 0.3);
    expect(mcd10).toBeGreaterThan(mcd20 + 0.3);
  });

  it('does not depend on the overall level (c0 is excluded, the floor is relative)', () => {
    const quieter = melCepstrogram(female.map((v) => v * 0.1));
    expect(melCepstralDistortion(quieter, female0).mcdDb).toBeLessThan(1e-4);
  });
});

describe('F0 tracker (YIN)', () => {
  const within = (hz: number, target: number, tolerance: number): void => {
    expect(Math.abs(hz - target) / target).toBeLessThan(tolerance);
  };

  for (const hz of [120, 220]) {
    it(`tracks a pure and a harmonic-rich ${hz} Hz tone within 1%`, () => {
      for (const harmonics of [1, 12]) {
        const track = trackF0(harmonicTone(1, () => hz, harmonics));
        const f0 = voicedF0(track);
        expect(f0.length / track.f0Hz.length).toBeGreaterThan(0.9);
        for (const v of f0) within(v, hz, 0.01);
      }
    });
  }

  it('follows a chirp (100 → 400 Hz, exponential, 2 s) within 3%', () => {
    const f = (t: number): number => 100 * 4 ** (t / 2);
    const track = trackF0(harmonicTone(2, f, 6));
    let voiced = 0;
    for (let t = 0; t < track.f0Hz.length; t++) {
      if (!track.voiced[t]) continue;
      voiced++;
      within(track.f0Hz[t], f((t * track.hopLength) / SR), 0.03);
    }
    expect(voiced / track.f0Hz.length).toBeGreaterThan(0.9);
  });

  it('calls white noise mostly unvoiced and silence unvoiced', () => {
    const noiseTrack = trackF0(noise(SR, 11).map((v) => 0.3 * v));
    expect(voicedF0(noiseTrack).length / noiseTrack.f0Hz.length).toBeLessThan(0.05);
    const silence = trackF0(new Float32Array(SR));
    expect(voicedF0(silence).length).toBe(0);
  });

  it('finds the expected median F0 of the real female (slt) and male (rms) fixtures', () => {
    const femaleTrack = trackF0(female);
    const maleTrack = trackF0(male);
    const femaleMedian = median(voicedF0(femaleTrack));
    const maleMedian = median(voicedF0(maleTrack));
    expect(femaleMedian).toBeGreaterThan(170);
    expect(femaleMedian).toBeLessThan(200);
    expect(maleMedian).toBeGreaterThan(100);
    expect(maleMedian).toBeLessThan(130);
    // Connected speech is voiced for a good part of its duration, never all of it.
    for (const track of [femaleTrack, maleTrack]) {
      const share = voicedF0(track).length / track.f0Hz.length;
      expect(share).toBeGreaterThan(0.25);
      expect(share).toBeLessThan(0.9);
    }
  });

  it('rejects an impossible search range', () => {
    expect(() => trackF0(female, { ...DEFAULT_F0_CONFIG, fMinHz: 500, fMaxHz: 80 })).toThrow(VoiceswapError);
  });
});

describe('pairing converted files with targets', () => {
  it('strips .wav and a direction infix from converted names only', () => {
    expect(pairingKey('dev01.a2b.wav', true)).toBe('dev01');
    expect(pairingKey('dev01.b2a.WAV', true)).toBe('dev01');
    expect(pairingKey('dev01.wav', true)).toBe('dev01');
    expect(pairingKey('dev01.a2b.wav', false)).toBe('dev01.a2b');
    expect(pairingKey('notes.txt', true)).toBeNull();
  });

  it('pairs by key and reports the unmatched files of both sides', () => {
    const p = pairFiles(['dev02.a2b.wav', 'dev01.a2b.wav', 'extra.wav', 'readme.txt'], ['dev01.wav', 'dev02.wav', 'dev10.wav']);
    expect(p.pairs).toEqual([
      { name: 'dev01', converted: 'dev01.a2b.wav', target: 'dev01.wav' },
      { name: 'dev02', converted: 'dev02.a2b.wav', target: 'dev02.wav' },
    ]);
    expect(p.unmatched).toEqual(['extra.wav']);
    expect(p.unmatchedTargets).toEqual(['dev10.wav']);
  });

  it('refuses two converted files for one target', () => {
    expect(() => pairFiles(['dev01.wav', 'dev01.a2b.wav'], ['dev01.wav'], 'out')).toThrow(/out: both dev01.a2b.wav and dev01.wav pair with/);
  });
});

describe('evaluatePairs', () => {
  let root: string;
  const dir = (name: string): string => join(root, name);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'voiceswap-eval-'));
    for (const name of ['target', 'converted', 'source', 'empty', 'other']) mkdirSync(dir(name));
    copyFileSync(MALE, join(dir('target'), 'dev01.wav'));
    copyFileSync(MALE, join(dir('converted'), 'dev01.a2b.wav'));
    writeWav(join(dir('converted'), 'stray.wav'), female, SR);
    copyFileSync(FEMALE, join(dir('source'), 'dev01.wav'));
    copyFileSync(FEMALE, join(dir('other'), 'unrelated.wav'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('scores an identical conversion perfectly and the unconverted source as far off', () => {
    const report = evaluatePairs(dir('converted'), dir('target'), { sourceDir: dir('source') });
    const [row] = report.converted.rows;
    expect(row).toMatchObject({ name: 'dev01', converted: 'dev01.a2b.wav', target: 'dev01.wav', mcdDb: 0, f0RmseCents: 0, voicingAgreement: 1 });
    expect(row.convertedMedianF0Hz).toBe(row.targetMedianF0Hz);
    expect(report.converted.unmatched).toEqual(['stray.wav']);
    expect(report.converted.total.mcdDb).toBe(0);

    const unconverted = report.unconverted!;
    expect(unconverted.total.mcdDb).toBeGreaterThan(4);
    // slt is about an octave above rms: the mean F0 difference is far above +500 cents.
    expect(unconverted.total.f0MeanCents!).toBeGreaterThan(500);
    expect(unconverted.total.convertedMedianF0Hz!).toBeGreaterThan(unconverted.total.targetMedianF0Hz!);

    const text = formatReportTable(report);
    expect(text).toMatch(/^dev01 +0\.00 /m);
    expect(text).toMatch(/no target for: stray\.wav/);
    expect(text).toMatch(/unconverted: /);
    // The JSON form keeps numbers and nulls only (no NaN).
    expect(JSON.parse(JSON.stringify(report)).converted.rows[0].mcdDb).toBe(0);
  });

  it('reports the ln-F0 spread of each side: a/sqrt(2) for a sinusoidal intonation of depth a, ~0 for a steady tone', () => {
    const glideDir = dir('glide');
    const steadyDir = dir('steady');
    mkdirSync(glideDir);
    mkdirSync(steadyDir);
    const depth = 0.15; // ln F0 = ln 150 + 0.15 sin(2π·1 Hz·t), whole periods
    writeWav(join(glideDir, 'tone.wav'), harmonicTone(2, (t) => 150 * Math.exp(depth * Math.sin(2 * Math.PI * t)), 8), SR);
    writeWav(join(steadyDir, 'tone.wav'), harmonicTone(2, () => 150, 8), SR);
    const report = evaluatePairs(glideDir, steadyDir);
    const total = report.converted.total;
    expect(total.convertedLogF0Spread!).toBeGreaterThan(0.9 * (depth / Math.SQRT2));
    expect(total.convertedLogF0Spread!).toBeLessThan(1.1 * (depth / Math.SQRT2));
    expect(total.targetLogF0Spread!).toBeLessThan(0.01);
    expect(report.converted.rows[0].convertedLogF0Spread).toBeCloseTo(total.convertedLogF0Spread!, 9);
    expect(formatReportTable(report)).toMatch(/lnF0 sd conv/);
  });

  it('the telephone analysis (8 kHz) ignores what lies above 4 kHz; the default one does not', () => {
    const hissDir = dir('hiss');
    mkdirSync(hissDir);
    // The male fixture plus a strong 6 kHz tone: a difference only above the telephone band.
    writeWav(join(hissDir, 'dev01.wav'), male.map((v, i) => v + 0.05 * Math.sin((2 * Math.PI * 6000 * i) / SR)), SR);
    const wide = evaluatePairs(hissDir, dir('target'));
    const phone = evaluatePairs(hissDir, dir('target'), TELEPHONE_EVALUATION_CONFIG);
    expect(wide.converted.total.mcdDb).toBeGreaterThan(1);
    expect(phone.converted.total.mcdDb).toBeLessThan(0.2);
    expect(phone.config.sampleRate).toBe(8000);
  });

  it('gives one-line errors for a missing folder, an empty folder and no pairs', () => {
    expect(() => evaluatePairs(dir('missing'), dir('target'))).toThrow(/missing: no such directory/);
    expect(() => evaluatePairs(dir('empty'), dir('target'))).toThrow(/empty: contains no \.wav files/);
    expect(() => evaluatePairs(dir('other'), dir('target'))).toThrow(VoiceswapError);
    expect(() => evaluatePairs(dir('other'), dir('target'))).toThrow(/no \.wav file in .*other pairs with one in/);
  });
});

describe('word error rate', () => {
  const wer = (ref: string, hyp: string) => wordErrors(normalizeWords(ref), normalizeWords(hyp));

  it('normalises case, punctuation, apostrophes and hyphens', () => {
    expect(normalizeWords("  Don't stop—twenty-three, \"Bob's\" cats!  ")).toEqual(['dont', 'stop', 'twenty', 'three', 'bobs', 'cats']);
  });

  it('counts substitutions, deletions and insertions', () => {
    expect(wer('the cat sat', 'the cat sat')).toEqual({ referenceWords: 3, substitutions: 0, deletions: 0, insertions: 0 });
    expect(wer('the cat sat', 'the hat sat')).toEqual({ referenceWords: 3, substitutions: 1, deletions: 0, insertions: 0 });
    expect(wer('the cat sat down', 'the cat down')).toEqual({ referenceWords: 4, substitutions: 0, deletions: 1, insertions: 0 });
    expect(wer('the cat sat', 'oh the cat sat there')).toEqual({ referenceWords: 3, substitutions: 0, deletions: 0, insertions: 2 });
    expect(wordErrorRate(wer('the cat sat', 'the hat sat'))).toBeCloseTo(1 / 3, 12);
    // More errors than words: WER above 100%.
    expect(wordErrorRate(wer('yes', 'no no no'))).toBe(3);
  });

  it('pools a corpus as Σ errors / Σ reference words', () => {
    const total = sumWordErrors([wer('a b c d', 'a b c d'), wer('e f', 'x')]);
    expect(total).toEqual({ referenceWords: 6, substitutions: 1, deletions: 1, insertions: 0 });
    expect(wordErrorRate(total)).toBeCloseTo(2 / 6, 12);
  });

  it('reads FILE<TAB>TEXT lists (extra middle fields ignored) and rejects malformed lines', () => {
    const texts = parseTexts('# comment\ndev01.wav\tHello there.\n\nspeech.wav\tflite slt\tPlease measure.\n', 'texts.tsv');
    expect([...texts]).toEqual([['dev01.wav', 'Hello there.'], ['speech.wav', 'Please measure.']]);
    expect(() => parseTexts('dev01.wav Hello\n', 'texts.tsv')).toThrow(/texts\.tsv: line 1: expected FILE<TAB>TEXT/);
    expect(() => parseTexts('a.wav\tx\na.wav\ty\n', 'texts.tsv')).toThrow(/listed twice/);
  });

  it('scores a folder against its transcripts, pairing converted names like evaluate', () => {
    const root = mkdtempSync(join(tmpdir(), 'voiceswap-wer-'));
    try {
      writeWav(join(root, 'dev01.a2b.wav'), female.subarray(0, 1000), SR);
      writeWav(join(root, 'dev02.a2b.wav'), female.subarray(0, 1000), SR);
      writeWav(join(root, 'unlisted.wav'), female.subarray(0, 1000), SR);
      const textsPath = join(root, 'texts.tsv');
      writeFileSync(textsPath, 'dev01.wav\tThe cat sat.\ndev02.wav\tA dog ran.\ndev03.wav\tMissing file.\n');
      // Stands in for the external recogniser: it "hears" dev01 right and dev02 with one word wrong.
      const hear = (path: string): string => (path.endsWith('dev01.a2b.wav') ? 'the cat sat' : 'a dog sat');
      const report = werForDir(root, textsPath, hear);
      expect(report.rows.map((r) => [r.file, r.wer])).toEqual([['dev01.a2b.wav', 0], ['dev02.a2b.wav', 1 / 3]]);
      expect(report.total.wer).toBeCloseTo(1 / 6, 12);
      expect(report.missing).toEqual(['dev03.wav']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const problem = pocketsphinxProblem();
  it.skipIf(problem !== null)(`pocketsphinx transcribes the female fixture${problem ? ` (SKIPPED: ${problem})` : ''}`, () => {
    const hypothesis = transcribeWithPocketsphinx(FEMALE);
    const errors = wordErrors(normalizeWords('Please measure the wooden plank twice.'), normalizeWords(hypothesis));
    expect(wordErrorRate(errors)).toBeLessThanOrEqual(0.34);
  });
});
