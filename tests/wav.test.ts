import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileError } from '../src/errors.js';
import { loadAudio } from '../src/audio/load.js';
import { resample } from '../src/audio/resample.js';
import { decodeWav, encodeWav, readWav, writeWav } from '../src/audio/wav.js';
import {
  ENCODING_BITS,
  ENCODING_TAG,
  expectedValue,
  extensibleFmtBody,
  fmtBody,
  listChunks,
  packSamples,
  riff,
  subformatGuid,
  type TestEncoding,
} from './helpers/wav-build.js';

const dir = mkdtempSync(join(tmpdir(), 'voiceswap-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIXTURE = fileURLToPath(new URL('./fixtures/speech_44k_stereo.wav', import.meta.url));

let fileCounter = 0;
function writeTemp(bytes: Uint8Array, name = `f${fileCounter++}.wav`): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Deterministic stored values spanning the format's range, including both extremes. */
function storedValues(encoding: TestEncoding, count: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const u = ((i * 2654435761) % 4294967296) / 4294967296; // Knuth hash in [0, 1)
    switch (encoding) {
      case 'pcm8':
      case 'alaw':
      case 'mulaw':
        values.push(i % 256); // every code
        break;
      case 'pcm16':
        values.push(i === 0 ? -32768 : i === 1 ? 32767 : Math.floor(u * 65536) - 32768);
        break;
      case 'pcm24':
        values.push(i === 0 ? -8388608 : i === 1 ? 8388607 : Math.floor(u * 16777216) - 8388608);
        break;
      case 'pcm32':
        values.push(i === 0 ? -2147483648 : i === 1 ? 2147483647 : Math.floor(u * 4294967296) - 2147483648);
        break;
      case 'float32':
      case 'float64':
        values.push(i === 0 ? 1.25 : 2 * u - 1); // floats may exceed full scale and must be kept
        break;
    }
  }
  return values;
}

/** Mean over channels of the expected decoded values of interleaved stored samples. */
function expectedMono(encoding: TestEncoding, stored: number[], channels: number): Float64Array {
  const frames = stored.length / channels;
  const mono = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += expectedValue(encoding, stored[f * channels + c]!);
    mono[f] = sum / channels;
  }
  return mono;
}

function expectClose(actual: Float32Array, expected: Float64Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/** Expect `fn` to throw a one-line FileError naming `path` and containing every phrase. */
function expectFileError(fn: () => unknown, path: string, ...phrases: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FileError);
  const message = (caught as FileError).message;
  expect(message.startsWith(`${path}: `)).toBe(true);
  expect(message).not.toContain('\n');
  for (const phrase of phrases) expect(message).toContain(phrase);
}

const ENCODINGS: TestEncoding[] = ['pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32', 'float64', 'alaw', 'mulaw'];
// float32 keeps 24 bits of mantissa, so the exact integer formats are checked to float32 rounding.
const TOLERANCE = 2 ** -23;

describe('decodeWav: every supported encoding and channel count', () => {
  for (const encoding of ENCODINGS) {
    for (const channels of [1, 2, 6]) {
      it(`${encoding}, ${channels} channel(s), mixed down to the channel mean`, () => {
        const stored = storedValues(encoding, 256 * channels);
        const bytes = riff([
          { id: 'fmt ', body: fmtBody({ formatTag: ENCODING_TAG[encoding], channels, sampleRate: 16000, bitsPerSample: ENCODING_BITS[encoding] }, encoding !== 'pcm16') },
          { id: 'data', body: packSamples(encoding, stored) },
        ]);
        const path = writeTemp(bytes);
        const wav = readWav(path);
        expect(wav.format).toBe(encoding);
        expect(wav.channels).toBe(channels);
        expect(wav.sampleRate).toBe(16000);
        expect(wav.durationSeconds).toBeCloseTo(256 / 16000, 12);
        expectClose(wav.samples, expectedMono(encoding, stored, channels), TOLERANCE);
      });
    }
  }

  it('decodes the G.711 reference points exactly (A-law 0xD5 = +8, µ-law 0x00 = -32124)', () => {
    const alaw = decodeWav(
      riff([
        { id: 'fmt ', body: fmtBody({ formatTag: 6, channels: 1, sampleRate: 8000, bitsPerSample: 8 }, true) },
        { id: 'data', body: Uint8Array.from([0xd5, 0x55, 0xaa]) },
      ]),
      'alaw.wav',
    );
    expect(Array.from(alaw.samples, (s) => s * 32768)).toEqual([8, -8, 32256]);
    const mulaw = decodeWav(
      riff([
        { id: 'fmt ', body: fmtBody({ formatTag: 7, channels: 1, sampleRate: 8000, bitsPerSample: 8 }, true) },
        { id: 'data', body: Uint8Array.from([0x00, 0x80, 0xff]) },
      ]),
      'mulaw.wav',
    );
    expect(Array.from(mulaw.samples, (s) => s * 32768)).toEqual([-32124, 32124, 0]);
  });

  for (const [encoding, channels] of [['pcm16', 2], ['float32', 2], ['pcm24', 6]] as const) {
    it(`WAVE_FORMAT_EXTENSIBLE ${encoding}, ${channels} channels, via the subformat GUID`, () => {
      const stored = storedValues(encoding, 100 * channels);
      const bits = ENCODING_BITS[encoding];
      const bytes = riff([
        { id: 'fmt ', body: extensibleFmtBody({ channels, sampleRate: 48000, bitsPerSample: bits }, subformatGuid(ENCODING_TAG[encoding])) },
        { id: 'fact', body: new Uint8Array(4) },
        { id: 'data', body: packSamples(encoding, stored) },
      ]);
      const wav = decodeWav(bytes, 'ext.wav');
      expect(wav.format).toBe(encoding);
      expect(wav.channels).toBe(channels);
      expectClose(wav.samples, expectedMono(encoding, stored, channels), TOLERANCE);
    });
  }

  it('reads 20-bit samples in 24-bit containers (extensible, valid bits 20)', () => {
    const stored = [0x7ffff0, -0x800000, 0x000010, -0x000010];
    const bytes = riff([
      { id: 'fmt ', body: extensibleFmtBody({ channels: 1, sampleRate: 44100, bitsPerSample: 24 }, subformatGuid(1), 20) },
      { id: 'data', body: packSamples('pcm24', stored) },
    ]);
    expectClose(decodeWav(bytes, 'x.wav').samples, Float64Array.from(stored, (s) => s / 8388608), TOLERANCE);
  });

  it('skips unknown chunks (with pad bytes), finds data before fmt, and ignores a trailing partial frame', () => {
    const stored = [1000, -1000, 2000, -2000];
    const data = new Uint8Array(9); // two stereo frames plus one stray byte
    data.set(packSamples('pcm16', stored));
    const bytes = riff([
      { id: 'LIST', body: new Uint8Array(7) }, // odd size: followed by a pad byte
      { id: 'data', body: data },
      { id: 'fmt ', body: fmtBody({ formatTag: 1, channels: 2, sampleRate: 22050, bitsPerSample: 16 }) },
    ]);
    const wav = decodeWav(bytes, 'x.wav');
    expect(Array.from(wav.samples)).toEqual([0, 0]);
    expect(wav.channels).toBe(2);
  });

  it('decodes bytes that sit at an odd offset inside a larger buffer', () => {
    const stored = storedValues('float32', 64);
    const wav = riff([
      { id: 'fmt ', body: fmtBody({ formatTag: 3, channels: 2, sampleRate: 8000, bitsPerSample: 32 }) },
      { id: 'data', body: packSamples('float32', stored) },
    ]);
    const larger = new Uint8Array(wav.length + 3);
    larger.set(wav, 1);
    const decoded = decodeWav(larger.subarray(1, 1 + wav.length), 'x.wav');
    expectClose(decoded.samples, expectedMono('float32', stored, 2), TOLERANCE);
  });

  it('decodes the stereo speech fixture (right = 0.5 × left) to 0.75 × left', () => {
    const bytes = readFileSync(FIXTURE);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const frames = (bytes.length - 44) / 4; // plain 44-byte header, 16-bit stereo (see the fixture README)
    const wav = readWav(FIXTURE);
    expect(wav.sampleRate).toBe(44100);
    expect(wav.channels).toBe(2);
    expect(wav.format).toBe('pcm16');
    expect(wav.samples.length).toBe(frames);
    expect(wav.durationSeconds).toBeCloseTo(2.265, 3);
    let worst = 0;
    for (let i = 0; i < frames; i++) {
      const left = view.getInt16(44 + 4 * i, true) / 32768;
      worst = Math.max(worst, Math.abs(wav.samples[i]! - 0.75 * left));
    }
    // right is 0.5 × left within ±1.5 LSB, so the mean is 0.75 × left within 0.75 LSB.
    expect(worst).toBeLessThanOrEqual(0.75 / 32768 + 1e-9);
  });
});

describe('decodeWav / readWav: bad input is a one-line FileError naming the file', () => {
  const pcm16Fmt = (over: Partial<Parameters<typeof fmtBody>[0]> = {}) =>
    fmtBody({ formatTag: 1, channels: 1, sampleRate: 22050, bitsPerSample: 16, ...over });
  const someData = packSamples('pcm16', [1, 2, 3, 4]);

  const cases: [string, Uint8Array, string[]][] = [
    ['an MP3 renamed to .wav', Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), ['not a WAV file']],
    ['a file shorter than a RIFF header', Uint8Array.from([0x52, 0x49, 0x46]), ['not a WAV file', 'too short']],
    ['a big-endian RIFX file', riff([{ id: 'fmt ', body: pcm16Fmt() }], 'RIFX'), ['RIFX', 'not supported']],
    ['an RF64 file', riff([{ id: 'fmt ', body: pcm16Fmt() }], 'RF64'), ['RF64', 'not supported']],
    ['a RIFF file that is not WAVE', riff([{ id: 'avih', body: new Uint8Array(8) }], 'RIFF', 'AVI '), ['not WAVE', 'AVI']],
    ['no fmt chunk', riff([{ id: 'data', body: someData }]), ['no fmt chunk']],
    ['no data chunk', riff([{ id: 'fmt ', body: pcm16Fmt() }]), ['no data chunk']],
    [
      'a truncated data chunk',
      riff([{ id: 'fmt ', body: pcm16Fmt() }, { id: 'data', body: new Uint8Array(600), declaredSize: 1000 }]),
      ['truncated data chunk', '1000 bytes', 'only 600 present'],
    ],
    ['a short fmt chunk', riff([{ id: 'fmt ', body: new Uint8Array(12) }, { id: 'data', body: someData }]), ['fmt chunk', 'shorter']],
    ['zero samples', riff([{ id: 'fmt ', body: pcm16Fmt() }, { id: 'data', body: new Uint8Array(0) }]), ['no audio samples']],
    ['a data chunk smaller than one frame', riff([{ id: 'fmt ', body: pcm16Fmt({ channels: 2 }) }, { id: 'data', body: new Uint8Array(3) }]), ['no audio samples']],
    ['a 500 Hz sample rate', riff([{ id: 'fmt ', body: pcm16Fmt({ sampleRate: 500 }) }, { id: 'data', body: someData }]), ['sample rate 500 Hz']],
    ['a zero sample rate', riff([{ id: 'fmt ', body: pcm16Fmt({ sampleRate: 0 }) }, { id: 'data', body: someData }]), ['sample rate 0 Hz']],
    ['a 5 MHz sample rate', riff([{ id: 'fmt ', body: pcm16Fmt({ sampleRate: 5000000 }) }, { id: 'data', body: someData }]), ['sample rate 5000000 Hz']],
    ['zero channels', riff([{ id: 'fmt ', body: pcm16Fmt({ channels: 0, blockAlign: 2 }) }, { id: 'data', body: someData }]), ['channel count 0']],
    ['300 channels', riff([{ id: 'fmt ', body: pcm16Fmt({ channels: 300 }) }, { id: 'data', body: new Uint8Array(600) }]), ['channel count 300']],
    ['40-bit PCM', riff([{ id: 'fmt ', body: pcm16Fmt({ bitsPerSample: 40 }) }, { id: 'data', body: someData }]), ['bit depth 40', 'PCM']],
    ['0-bit PCM', riff([{ id: 'fmt ', body: pcm16Fmt({ bitsPerSample: 0, blockAlign: 2 }) }, { id: 'data', body: someData }]), ['bit depth 0']],
    ['16-bit float', riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 3 }) }, { id: 'data', body: someData }]), ['bit depth 16', 'float']],
    ['16-bit A-law', riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 6 }) }, { id: 'data', body: someData }]), ['bit depth 16', 'A-law']],
    ['an inconsistent block align', riff([{ id: 'fmt ', body: pcm16Fmt({ channels: 2, blockAlign: 3 }) }, { id: 'data', body: someData }]), ['block align 3']],
    ['Microsoft ADPCM', riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 0x0002, bitsPerSample: 4 }) }, { id: 'data', body: someData }]), ['Microsoft ADPCM', '0x0002', 'not supported']],
    ['IMA ADPCM', riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 0x0011, bitsPerSample: 4 }) }, { id: 'data', body: someData }]), ['IMA ADPCM', '0x0011']],
    ['MP3 in a WAV', riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 0x0055 }) }, { id: 'data', body: someData }]), ['MP3', '0x0055']],
    ['MPEG in a WAV', riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 0x0050 }) }, { id: 'data', body: someData }]), ['MPEG', '0x0050']],
    ['GSM 6.10', riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 0x0031 }) }, { id: 'data', body: someData }]), ['GSM 6.10', '0x0031']],
    ['an unknown format tag', riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 0x1234 }) }, { id: 'data', body: someData }]), ['unsupported WAV format tag 0x1234']],
    [
      'an extensible file with an unknown subformat GUID',
      riff([{ id: 'fmt ', body: extensibleFmtBody({ channels: 1, sampleRate: 22050, bitsPerSample: 16 }, new Uint8Array(16).fill(7)) }, { id: 'data', body: someData }]),
      ['subformat GUID', '07070707'],
    ],
    [
      'an extensible subformat naming ADPCM',
      riff([{ id: 'fmt ', body: extensibleFmtBody({ channels: 1, sampleRate: 22050, bitsPerSample: 16 }, subformatGuid(0x0002)) }, { id: 'data', body: someData }]),
      ['Microsoft ADPCM'],
    ],
    [
      'a short extensible fmt chunk',
      riff([{ id: 'fmt ', body: pcm16Fmt({ formatTag: 0xfffe }) }, { id: 'data', body: someData }]),
      ['WAVE_FORMAT_EXTENSIBLE', 'at least 40'],
    ],
  ];
  for (const [label, bytes, phrases] of cases) {
    it(`rejects ${label}`, () => {
      const path = writeTemp(bytes);
      expectFileError(() => readWav(path), path, ...phrases);
    });
  }

  for (const [label, value] of [['NaN', Number.NaN], ['+Inf', Number.POSITIVE_INFINITY], ['-Inf', Number.NEGATIVE_INFINITY]] as const) {
    for (const encoding of ['float32', 'float64'] as const) {
      it(`rejects a ${encoding} file containing ${label}, saying where`, () => {
        const stored = [0, 0.5, 0, value, 0.25, 0]; // stereo: the bad value is in frame 1
        const bytes = riff([
          { id: 'fmt ', body: fmtBody({ formatTag: 3, channels: 2, sampleRate: 8000, bitsPerSample: ENCODING_BITS[encoding] }, true) },
          { id: 'data', body: packSamples(encoding, stored) },
        ]);
        const path = writeTemp(bytes);
        expectFileError(() => readWav(path), path, 'non-finite', 'frame 1');
      });
    }
  }

  it('reports a missing file as "file not found"', () => {
    const path = join(dir, 'does-not-exist.wav');
    expectFileError(() => readWav(path), path, 'file not found');
  });

  it('reports a directory as not a WAV file', () => {
    const path = join(dir, 'a-directory.wav');
    mkdirSync(path);
    expectFileError(() => readWav(path), path, 'directory');
  });

  it('names the given file in decodeWav errors', () => {
    expectFileError(() => decodeWav(new Uint8Array(20), 'upload.wav'), 'upload.wav', 'not a WAV file');
  });
});

describe('readWav: streamed WAVs', () => {
  // ffmpeg writing to a pipe cannot seek back to fill in the data size.
  for (const placeholder of [0xffffffff, 0]) {
    it(`reads a streamed WAV (data size 0x${placeholder.toString(16)}) to the end of the file`, () => {
      const samples = Float32Array.from({ length: 1001 }, (_, i) => Math.round(16384 * Math.sin(i / 7)) / 32768);
      const bytes = encodeWav(samples, 16000);
      const view = new DataView(bytes.buffer);
      expect(String.fromCharCode(...bytes.subarray(36, 40))).toBe('data');
      view.setUint32(40, placeholder, true);
      view.setUint32(4, placeholder, true); // the RIFF size is unknown too
      const path = writeTemp(bytes);
      const wav = readWav(path);
      expect(wav.sampleRate).toBe(16000);
      expect(Array.from(wav.samples)).toEqual(Array.from(samples));
    });
  }

  it('keeps an empty data chunk (size 0) followed by another chunk empty, not streamed', () => {
    const bytes = riff([{ id: 'fmt ', body: fmtBody({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 }) }, { id: 'data', body: new Uint8Array(0) }, { id: 'LIST', body: new Uint8Array(12) }]);
    const path = writeTemp(bytes);
    expectFileError(() => readWav(path), path, 'no audio samples');
  });
});

describe('writeWav / encodeWav', () => {
  const values = Float32Array.from([0, 0.5, -0.5, 1.5, -1.5, 1, -1, 0.25, 1e-6, -Infinity, Infinity]);

  it('writes mono 16-bit PCM by default, clamping instead of wrapping', () => {
    const path = join(dir, 'out16.wav');
    writeWav(path, values, 22050);
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(44 + 2 * values.length); // canonical 44-byte header
    const chunks = listChunks(bytes);
    const fmt = new DataView(chunks.get('fmt ')!.buffer, chunks.get('fmt ')!.byteOffset, 16);
    expect([fmt.getUint16(0, true), fmt.getUint16(2, true), fmt.getUint32(4, true), fmt.getUint32(8, true), fmt.getUint16(12, true), fmt.getUint16(14, true)]).toEqual([
      1, 1, 22050, 44100, 2, 16,
    ]);
    const data = chunks.get('data')!;
    const ints = Array.from({ length: values.length }, (_, i) => new DataView(data.buffer, data.byteOffset).getInt16(2 * i, true));
    expect(ints).toEqual([0, 16384, -16384, 32767, -32768, 32767, -32768, 8192, 0, -32768, 32767]);
  });

  it('writes 32-bit float on request, clamped, with a fact chunk, and reads back exactly', () => {
    const path = join(dir, 'outf.wav');
    const samples = Float32Array.from([0.1, -0.3, 1.5, -2, 0.999]);
    writeWav(path, samples, 48000, { encoding: 'float32' });
    const bytes = readFileSync(path);
    const chunks = listChunks(bytes);
    const fmt = new DataView(chunks.get('fmt ')!.buffer, chunks.get('fmt ')!.byteOffset, 18);
    expect([fmt.getUint16(0, true), fmt.getUint16(2, true), fmt.getUint32(4, true), fmt.getUint16(12, true), fmt.getUint16(14, true)]).toEqual([3, 1, 48000, 4, 32]);
    expect(new DataView(chunks.get('fact')!.buffer, chunks.get('fact')!.byteOffset).getUint32(0, true)).toBe(samples.length);
    const back = readWav(path);
    expect(back.format).toBe('float32');
    expect(Array.from(back.samples)).toEqual(Array.from(Float32Array.from([0.1, -0.3, 1, -1, 0.999])));
  });

  it('round-trips 16-bit samples exactly through readWav', () => {
    const samples = Float32Array.from({ length: 1000 }, (_, i) => Math.round(Math.sin(i * 0.37) * 30000) / 32768);
    const path = join(dir, 'round.wav');
    writeWav(path, samples, 16000);
    const back = readWav(path);
    expect(back.sampleRate).toBe(16000);
    expect(Array.from(back.samples)).toEqual(Array.from(samples));
  });

  it('writes atomically: no temporary file is left behind', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    writeWav(join(sub, 'a.wav'), values, 8000);
    writeWav(join(sub, 'a.wav'), values, 8000, { encoding: 'float32' }); // overwrite is allowed
    expect(readdirSync(sub)).toEqual(['a.wav']);
  });

  it('refuses to overwrite a protected input, however the path is spelled', () => {
    const sub = mkdtempSync(join(dir, 'protect-'));
    const input = join(sub, 'input.wav');
    writeWav(input, values, 8000);
    const original = readFileSync(input);
    symlinkSync(input, join(sub, 'link.wav'));
    for (const target of [input, `${sub}/./x/../input.wav`, join(sub, 'link.wav')]) {
      mkdirSync(join(sub, 'x'), { recursive: true });
      expectFileError(() => writeWav(target, new Float32Array(10), 8000, { protect: [input] }), target, 'refusing to overwrite input');
    }
    expect(readFileSync(input)).toEqual(original);
    writeWav(join(sub, 'output.wav'), values, 8000, { protect: [input] });
    expect(existsSync(join(sub, 'output.wav'))).toBe(true);
  });

  it('reports a missing output directory as a FileError', () => {
    const path = join(dir, 'no-such-dir', 'out.wav');
    expectFileError(() => writeWav(path, values, 8000), path, 'directory does not exist');
  });

  it('treats a NaN sample as a bug, not as silence', () => {
    expect(() => encodeWav(Float32Array.from([0, Number.NaN]), 8000, 'pcm16')).toThrow(/NaN/);
  });
});

describe('loadAudio', () => {
  it('reads, mixes down and resamples to the requested rate, reporting the source format', () => {
    const loaded = loadAudio(FIXTURE, 22050);
    const decoded = readWav(FIXTURE);
    expect(loaded.sampleRate).toBe(22050);
    expect(loaded.samples.length).toBe(Math.round((decoded.samples.length * 22050) / 44100));
    expect(loaded.source).toEqual({ sampleRate: 44100, channels: 2, format: 'pcm16', durationSeconds: decoded.durationSeconds });
    const direct = resample(decoded.samples, 44100, 22050);
    expect(loaded.samples.every((s, i) => s === direct[i])).toBe(true);
  });

  it('passes through FileErrors from reading', () => {
    const path = join(dir, 'missing.wav');
    expectFileError(() => loadAudio(path, 22050), path, 'file not found');
  });
});
