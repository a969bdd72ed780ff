/**
 * WAV reading and writing for voiceswap's audio front end.
 *
 * Reading: the RIFF chunk list is walked here (it is short, and walking it ourselves is
 * the only way to notice a truncated `data` chunk, which `wavefile` silently accepts).
 * Integer PCM and IEEE float samples are read through typed arrays over the file's
 * bytes; the G.711 expansion tables (A-law, µ-law) come from `wavefile`'s codecs. Every
 * channel layout is mixed down to mono by averaging the channels: the model hears one voice.
 *
 * Writing: mono 16-bit PCM (default) or 32-bit IEEE float, clamped to [-1, 1] first so a
 * loud sample saturates instead of wrapping round.
 *
 * This file works on bytes only (no Node module): the browser page imports it too.
 * Reading and writing files is in wav.ts.
 */
import wavefilePkg from 'wavefile';
import { FileError } from '../errors.js';

// wavefile ships CommonJS; a default import is the form that works under plain Node ESM.
const { WaveFile } = wavefilePkg;

/** A decoded WAV file, mixed down to mono. */
export interface DecodedWav {
  /** Mono samples, the mean of all channels; nominal range [-1, 1] (float files may exceed it). */
  samples: Float32Array;
  /** Sample rate in Hz, as stored in the file. */
  sampleRate: number;
  /** Channel count of the file before the mixdown. */
  channels: number;
  /** Sample encoding: 'pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32', 'float64', 'alaw' or 'mulaw'. */
  format: string;
  /** samples.length / sampleRate. */
  durationSeconds: number;
}

export type WavEncoding = 'pcm16' | 'float32';

/** Plausible limits: anything outside them is a corrupt header, not a real recording. */
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 768000;
export const MAX_CHANNELS = 64;

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Compressed formats users actually meet, so the error can name what they have. */
const COMPRESSED_FORMAT_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0002, 'Microsoft ADPCM'],
  [0x0011, 'IMA ADPCM'],
  [0x0031, 'GSM 6.10'],
  [0x0050, 'MPEG audio'],
  [0x0055, 'MPEG Layer 3 (MP3)'],
]);

/**
 * Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID used by WAVE_FORMAT_EXTENSIBLE: the
 * subformat GUID is the classic format tag (bytes 0..1, little endian) followed by these.
 */
const SUBFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const CONVERT_HINT = 'convert it to PCM first, e.g. `ffmpeg -i IN -c:a pcm_s16le OUT.wav`';

interface Chunk {
  offset: number; // of the chunk body
  size: number; // as declared in the chunk header
}

interface WavFormat {
  formatTag: number; // the effective tag (the subformat's, for WAVE_FORMAT_EXTENSIBLE)
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

type SampleEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'alaw' | 'mulaw';

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

function printableFourCC(id: string): string {
  return JSON.stringify(id.replace(/[^\x20-\x7e]/g, '?'));
}

function hex4(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Whether a data chunk's size is a streaming writer's placeholder: 0xFFFFFFFF, or 0 with
 * bytes after it that are not another chunk (an empty data chunk followed by, say, a LIST
 * chunk stays empty).
 */
function isStreamedDataSize(bytes: Uint8Array, view: DataView, body: number, size: number): boolean {
  const present = bytes.length - body;
  if (size === 0xffffffff) return present > 0;
  if (size !== 0 || present === 0) return false;
  const nextIsChunk = present >= 8 && /^[\x20-\x7e]{4}$/.test(fourCC(bytes, body)) && view.getUint32(body + 4, true) <= present - 8;
  return !nextIsChunk;
}

/** Walk the RIFF chunk list and return the `fmt ` and `data` chunks. */
function findChunks(bytes: Uint8Array, view: DataView, name: string): { fmt: Chunk; data: Chunk } {
  if (bytes.length < 12) {
    throw new FileError(name, `not a WAV file (only ${bytes.length} bytes, too short for a RIFF header)`);
  }
  const container = fourCC(bytes, 0);
  if (container === 'RIFX') throw new FileError(name, 'big-endian RIFX WAV files are not supported; ' + CONVERT_HINT);
  if (container === 'RF64') throw new FileError(name, 'RF64 (64-bit) WAV files are not supported; ' + CONVERT_HINT);
  if (container !== 'RIFF') throw new FileError(name, 'not a WAV file (no RIFF header)');
  const form = fourCC(bytes, 8);
  if (form !== 'WAVE') throw new FileError(name, `RIFF file but not WAVE audio (form type ${printableFourCC(form)})`);

  let fmt: Chunk | undefined;
  let data: Chunk | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length && !(fmt && data)) {
    const id = fourCC(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    const present = bytes.length - body;
    if (id === 'data') {
      if (isStreamedDataSize(bytes, view, body, size)) {
        // A writer on a pipe (ffmpeg to stdout) cannot go back to fill in the size: it leaves
        // 0xFFFFFFFF or 0. sox and librosa read such a file to its end, and so do we.
        data = { offset: body, size: present };
        break;
      }
      if (size > present) {
        throw new FileError(
          name,
          `truncated data chunk: header says ${size} bytes, only ${present} present (incomplete download or copy?)`,
        );
      }
      data = { offset: body, size };
    } else if (id === 'fmt ') {
      if (size > present) throw new FileError(name, `truncated fmt chunk: header says ${size} bytes, only ${present} present`);
      fmt = { offset: body, size };
    }
    // Chunks are word aligned: an odd-sized chunk is followed by one pad byte.
    offset = body + size + (size & 1);
  }
  if (!fmt) throw new FileError(name, 'WAV file has no fmt chunk');
  if (!data) throw new FileError(name, 'WAV file has no data chunk');
  return { fmt, data };
}

/** Parse the `fmt ` chunk, resolving WAVE_FORMAT_EXTENSIBLE to its subformat's tag. */
function parseFormat(bytes: Uint8Array, view: DataView, chunk: Chunk, name: string): WavFormat {
  if (chunk.size < 16) throw new FileError(name, `fmt chunk is ${chunk.size} bytes, shorter than the minimum 16`);
  const at = chunk.offset;
  let formatTag = view.getUint16(at, true);
  const format: WavFormat = {
    formatTag,
    channels: view.getUint16(at + 2, true),
    sampleRate: view.getUint32(at + 4, true),
    blockAlign: view.getUint16(at + 12, true),
    bitsPerSample: view.getUint16(at + 14, true),
  };
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (chunk.size < 40) {
      throw new FileError(name, `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${chunk.size} bytes, expected at least 40`);
    }
    const guid = at + 24;
    const tailMatches = SUBFORMAT_GUID_TAIL.every((b, i) => bytes[guid + 2 + i] === b);
    if (!tailMatches) {
      const hex = Array.from(bytes.subarray(guid, guid + 16), (b) => b.toString(16).padStart(2, '0')).join('');
      throw new FileError(name, `unsupported WAVE_FORMAT_EXTENSIBLE subformat GUID ${hex}`);
    }
    formatTag = view.getUint16(guid, true);
    format.formatTag = formatTag;
  }
  return format;
}

/** Map the format to one of the encodings we decode, or explain why it cannot be read. */
function sampleEncoding(format: WavFormat, name: string): SampleEncoding {
  const { formatTag, bitsPerSample } = format;
  const compressed = COMPRESSED_FORMAT_NAMES.get(formatTag);
  if (compressed) {
    throw new FileError(name, `compressed WAV format ${compressed} (${hex4(formatTag)}) is not supported; ${CONVERT_HINT}`);
  }
  const badDepth = (kind: string): never => {
    throw new FileError(name, `unsupported bit depth ${bitsPerSample} for ${kind} WAV`);
  };
  switch (formatTag) {
    case WAVE_FORMAT_PCM: {
      // Samples narrower than their container (e.g. 20 bits in 3 bytes) are left
      // justified, so decoding the whole container gives the right value.
      const containerBytes = Math.ceil(bitsPerSample / 8);
      if (bitsPerSample < 1 || containerBytes > 4) return badDepth('PCM');
      return (['pcm8', 'pcm16', 'pcm24', 'pcm32'] as const)[containerBytes - 1]!;
    }
    case WAVE_FORMAT_IEEE_FLOAT:
      if (bitsPerSample === 32) return 'float32';
      if (bitsPerSample === 64) return 'float64';
      return badDepth('IEEE float');
    case WAVE_FORMAT_ALAW:
      return bitsPerSample === 8 ? 'alaw' : badDepth('A-law');
    case WAVE_FORMAT_MULAW:
      return bitsPerSample === 8 ? 'mulaw' : badDepth('µ-law');
    default:
      throw new FileError(name, `unsupported WAV format tag ${hex4(formatTag)}`);
  }
}

const BYTES_PER_SAMPLE: Record<SampleEncoding, number> = {
  pcm8: 1,
  pcm16: 2,
  pcm24: 3,
  pcm32: 4,
  float32: 4,
  float64: 8,
  alaw: 1,
  mulaw: 1,
};

function checkFormatSanity(format: WavFormat, encoding: SampleEncoding, name: string): void {
  const { channels, sampleRate, blockAlign } = format;
  if (channels < 1 || channels > MAX_CHANNELS) {
    throw new FileError(name, `implausible channel count ${channels} (expected 1 to ${MAX_CHANNELS})`);
  }
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new FileError(name, `implausible sample rate ${sampleRate} Hz (expected ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz)`);
  }
  const expectedAlign = channels * BYTES_PER_SAMPLE[encoding];
  if (blockAlign !== expectedAlign) {
    throw new FileError(
      name,
      `inconsistent fmt chunk: block align ${blockAlign} bytes, expected ${expectedAlign} for ${channels} channel(s) of ${format.bitsPerSample}-bit samples`,
    );
  }
}

/** Byte value -> float for the 8-bit encodings, built once (G.711 tables from wavefile's codecs). */
const byteTables = new Map<'pcm8' | 'alaw' | 'mulaw', Float32Array>();

function byteTable(encoding: 'pcm8' | 'alaw' | 'mulaw'): Float32Array {
  let table = byteTables.get(encoding);
  if (table) return table;
  if (encoding === 'pcm8') {
    table = Float32Array.from({ length: 256 }, (_, b) => (b - 128) / 128); // unsigned, zero at 128
  } else {
    const codes = new Uint8Array(256).map((_, i) => i);
    const wav = new WaveFile();
    if (encoding === 'alaw') {
      wav.fromScratch(1, 8000, '8a', codes);
      wav.fromALaw('16');
    } else {
      wav.fromScratch(1, 8000, '8m', codes);
      wav.fromMuLaw('16');
    }
    const pcm = wav.getSamples(false, Int16Array) as unknown as Int16Array;
    table = Float32Array.from(pcm, (v) => v / 32768);
  }
  byteTables.set(encoding, table);
  return table;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The `span` bytes at `start` as an ArrayBuffer region in native byte order, ready for a
 * typed array of `width`-byte elements: the file's own memory when aligned on a
 * little-endian host, otherwise an aligned copy (WAV chunks are only 2-byte aligned).
 */
function nativeRegion(bytes: Uint8Array, start: number, span: number, width: number): { buffer: ArrayBufferLike; offset: number } {
  const at = bytes.byteOffset + start;
  if (at % width === 0 && LITTLE_ENDIAN_HOST) return { buffer: bytes.buffer, offset: at };
  // Copy explicitly (a Node Buffer's slice() is a view, not a copy); on a big-endian host
  // reverse the bytes of each sample into native order.
  const copy = new Uint8Array(bytes.subarray(start, start + span));
  if (!LITTLE_ENDIAN_HOST) for (let i = 0; i < span; i += width) copy.subarray(i, i + width).reverse();
  return { buffer: copy.buffer, offset: 0 };
}

/** The `count` samples at `start` as numbers, and the gain that scales them to [-1, 1]. */
function sampleArray(bytes: Uint8Array, start: number, count: number, encoding: SampleEncoding): { values: ArrayLike<number>; gain: number } {
  const span = count * BYTES_PER_SAMPLE[encoding];
  const region = (width: number) => nativeRegion(bytes, start, span, width);
  switch (encoding) {
    case 'pcm8':
    case 'alaw':
    case 'mulaw': {
      const table = byteTable(encoding);
      return { values: Float32Array.from(bytes.subarray(start, start + span), (b) => table[b]!), gain: 1 };
    }
    case 'pcm24': {
      const values = new Int32Array(count);
      for (let i = 0, o = start; i < count; i++, o += 3) {
        values[i] = ((bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16)) << 8) >> 8; // sign-extend 24 bits
      }
      return { values, gain: 1 / 8388608 };
    }
    case 'pcm16': {
      const { buffer, offset } = region(2);
      return { values: new Int16Array(buffer, offset, count), gain: 1 / 32768 };
    }
    case 'pcm32': {
      const { buffer, offset } = region(4);
      return { values: new Int32Array(buffer, offset, count), gain: 1 / 2147483648 };
    }
    case 'float32': {
      const { buffer, offset } = region(4);
      return { values: new Float32Array(buffer, offset, count), gain: 1 };
    }
    case 'float64': {
      const { buffer, offset } = region(8);
      return { values: new Float64Array(buffer, offset, count), gain: 1 };
    }
  }
}

/** Mix interleaved `channels`-channel samples down to mono (the channel mean), scaled by `gain`. */
function mixDown(values: ArrayLike<number>, frames: number, channels: number, gain: number): Float32Array {
  const out = new Float32Array(frames);
  if (channels === 1) {
    for (let i = 0; i < frames; i++) out[i] = values[i]! * gain;
    return out;
  }
  const scale = gain / channels;
  if (channels === 2) {
    // The common case, unrolled: about 3x faster than the general loop below.
    for (let i = 0; i < frames; i++) out[i] = (values[2 * i]! + values[2 * i + 1]!) * scale;
    return out;
  }
  for (let i = 0, k = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, k++) sum += values[k]!;
    out[i] = sum * scale;
  }
  return out;
}

function decodeMono(bytes: Uint8Array, start: number, frames: number, channels: number, encoding: SampleEncoding): Float32Array {
  const { values, gain } = sampleArray(bytes, start, frames * channels, encoding);
  return mixDown(values, frames, channels, gain);
}

function firstNonFinite(samples: Float32Array): number {
  for (let i = 0; i < samples.length; i++) if (!Number.isFinite(samples[i]!)) return i;
  return -1;
}

/**
 * Decode the bytes of a WAV file. All channels are mixed down to mono by averaging
 * them (so a stereo file with right = 0.5 × left decodes to 0.75 × left).
 * Integers are scaled by 2^(bits-1) (8-bit PCM is unsigned, offset 128); floats are kept.
 * `name` is only used in error messages. Throws FileError for anything unreadable.
 */
export function decodeWav(bytes: Uint8Array, name: string): DecodedWav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks = findChunks(bytes, view, name);
  const format = parseFormat(bytes, view, chunks.fmt, name);
  const encoding = sampleEncoding(format, name);
  checkFormatSanity(format, encoding, name);

  // A trailing partial frame (a writer's bug, not a truncation of the file) is ignored.
  const frames = Math.floor(chunks.data.size / format.blockAlign);
  if (frames === 0) throw new FileError(name, 'WAV file contains no audio samples (empty data chunk)');
  const samples = decodeMono(bytes, chunks.data.offset, frames, format.channels, encoding);

  if (encoding === 'float32' || encoding === 'float64') {
    const bad = firstNonFinite(samples);
    if (bad >= 0) {
      throw new FileError(name, `float WAV contains a non-finite sample (NaN or Inf) at frame ${bad} (${(bad / format.sampleRate).toFixed(3)} s)`);
    }
  }
  return {
    samples,
    sampleRate: format.sampleRate,
    channels: format.channels,
    format: encoding,
    durationSeconds: frames / format.sampleRate,
  };
}

/**
 * Encode mono samples as a canonical 44-byte-header WAV (16-bit PCM) or a float WAV
 * (32-bit IEEE float, with the `fact` chunk the spec asks of non-PCM formats).
 * Samples are clamped to [-1, 1] first so an overshoot saturates instead of wrapping;
 * 16-bit uses round(x · 32768) limited to [-32768, 32767], the inverse of the reader.
 * A NaN sample is a bug upstream and throws a plain Error.
 */
export function encodeWav(samples: Float32Array, sampleRate: number, encoding: WavEncoding = 'pcm16'): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffffffff) {
    throw new Error(`encodeWav: invalid sample rate ${sampleRate}`);
  }
  const isFloat = encoding === 'float32';
  const width = isFloat ? 4 : 2;
  const dataBytes = samples.length * width;
  const fmtBytes = isFloat ? 18 : 16; // non-PCM fmt chunks carry cbSize
  const factBytes = isFloat ? 12 : 0;
  const headerBytes = 12 + 8 + fmtBytes + factBytes + 8;
  if (headerBytes - 8 + dataBytes > 0xffffffff) throw new Error('encodeWav: audio too long for a RIFF file (4 GiB limit)');

  const out = new Uint8Array(headerBytes + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, out.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, fmtBytes, true);
  view.setUint16(20, isFloat ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM, true);
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * width, true);
  view.setUint16(32, width, true);
  view.setUint16(34, width * 8, true);
  let at = 36;
  if (isFloat) {
    view.setUint16(at, 0, true); // cbSize
    at += 2;
    ascii(at, 'fact');
    view.setUint32(at + 4, 4, true);
    view.setUint32(at + 8, samples.length, true);
    at += 12;
  }
  ascii(at, 'data');
  view.setUint32(at + 4, dataBytes, true);
  at += 8;

  for (let i = 0; i < samples.length; i++, at += width) {
    const x = samples[i]!;
    if (Number.isNaN(x)) throw new Error(`encodeWav: sample ${i} is NaN`);
    const clamped = x > 1 ? 1 : x < -1 ? -1 : x;
    if (isFloat) view.setFloat32(at, clamped, true);
    else view.setInt16(at, Math.min(32767, Math.round(clamped * 32768)), true);
  }
  return out;
}

