/**
 * Builds WAV bytes by hand for the WAV tests, independently of src/audio/wav.ts, so a
 * decoder bug cannot hide behind a matching encoder bug.
 */

export interface RiffChunk {
  id: string;
  body: Uint8Array;
  /** Size written in the chunk header; defaults to body.length (set it to fake a truncation). */
  declaredSize?: number;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** A RIFF file with the given container id, form type and chunks (odd chunks get a pad byte). */
export function riff(chunks: RiffChunk[], container = 'RIFF', form = 'WAVE'): Uint8Array {
  const parts: Uint8Array[] = [ascii(container), new Uint8Array(4), ascii(form)];
  for (const chunk of chunks) {
    const header = new Uint8Array(8);
    header.set(ascii(chunk.id), 0);
    new DataView(header.buffer).setUint32(4, chunk.declaredSize ?? chunk.body.length, true);
    parts.push(header, chunk.body);
    if (chunk.body.length % 2 === 1) parts.push(new Uint8Array(1));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  new DataView(out.buffer).setUint32(4, total - 8, true);
  return out;
}

export interface FmtFields {
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Defaults to channels · ceil(bits / 8). */
  blockAlign?: number;
}

/** A 16-byte `fmt ` chunk body (18 with cbSize = 0 when `withCbSize`). */
export function fmtBody(f: FmtFields, withCbSize = false): Uint8Array {
  const body = new Uint8Array(withCbSize ? 18 : 16);
  const v = new DataView(body.buffer);
  const blockAlign = f.blockAlign ?? f.channels * Math.ceil(f.bitsPerSample / 8);
  v.setUint16(0, f.formatTag, true);
  v.setUint16(2, f.channels, true);
  v.setUint32(4, f.sampleRate, true);
  v.setUint32(8, f.sampleRate * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, f.bitsPerSample, true);
  return body;
}

/** KSDATAFORMAT_SUBTYPE GUID for a classic format tag, as stored in the file. */
export function subformatGuid(tag: number): Uint8Array {
  const guid = Uint8Array.from([0, 0, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);
  new DataView(guid.buffer).setUint16(0, tag, true);
  return guid;
}

/** A 40-byte WAVE_FORMAT_EXTENSIBLE `fmt ` chunk body. */
export function extensibleFmtBody(f: Omit<FmtFields, 'formatTag'>, guid: Uint8Array, validBits = f.bitsPerSample): Uint8Array {
  const body = new Uint8Array(40);
  body.set(fmtBody({ ...f, formatTag: 0xfffe }), 0);
  const v = new DataView(body.buffer);
  v.setUint16(16, 22, true); // cbSize
  v.setUint16(18, validBits, true);
  v.setUint32(20, f.channels === 2 ? 0x3 : 0, true); // channel mask
  body.set(guid, 24);
  return body;
}

export type TestEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'alaw' | 'mulaw';

export const ENCODING_TAG: Record<TestEncoding, number> = {
  pcm8: 1,
  pcm16: 1,
  pcm24: 1,
  pcm32: 1,
  float32: 3,
  float64: 3,
  alaw: 6,
  mulaw: 7,
};

export const ENCODING_BITS: Record<TestEncoding, number> = {
  pcm8: 8,
  pcm16: 16,
  pcm24: 24,
  pcm32: 32,
  float32: 32,
  float64: 64,
  alaw: 8,
  mulaw: 8,
};

/**
 * Pack stored sample values (integers as they appear in the file: unsigned 0..255 for
 * pcm8 and for the G.711 codes, signed otherwise; floats for float formats), interleaved.
 */
export function packSamples(encoding: TestEncoding, stored: number[]): Uint8Array {
  const width = ENCODING_BITS[encoding] / 8;
  const out = new Uint8Array(stored.length * width);
  const v = new DataView(out.buffer);
  stored.forEach((s, i) => {
    const at = i * width;
    switch (encoding) {
      case 'pcm8':
      case 'alaw':
      case 'mulaw':
        v.setUint8(at, s);
        break;
      case 'pcm16':
        v.setInt16(at, s, true);
        break;
      case 'pcm24':
        v.setUint8(at, s & 0xff);
        v.setUint8(at + 1, (s >> 8) & 0xff);
        v.setUint8(at + 2, (s >> 16) & 0xff);
        break;
      case 'pcm32':
        v.setInt32(at, s, true);
        break;
      case 'float32':
        v.setFloat32(at, s, true);
        break;
      case 'float64':
        v.setFloat64(at, s, true);
        break;
    }
  });
  return out;
}

/** G.711 A-law code -> 16-bit linear value (ITU-T G.711 expansion, written from the spec). */
export function alawToLinear(code: number): number {
  const c = code ^ 0x55;
  const exponent = (c >> 4) & 7;
  const mantissa = c & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return c & 0x80 ? magnitude : -magnitude;
}

/** G.711 µ-law code -> 16-bit linear value. */
export function mulawToLinear(code: number): number {
  const c = ~code & 0xff;
  const exponent = (c >> 4) & 7;
  const mantissa = c & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return c & 0x80 ? -magnitude : magnitude;
}

/** The value a correct decoder must return for one stored sample of `encoding`. */
export function expectedValue(encoding: TestEncoding, stored: number): number {
  switch (encoding) {
    case 'pcm8':
      return (stored - 128) / 128;
    case 'pcm16':
      return stored / 32768;
    case 'pcm24':
      return stored / 8388608;
    case 'pcm32':
      return stored / 2147483648;
    case 'float32':
      return Math.fround(stored);
    case 'float64':
      return stored;
    case 'alaw':
      return alawToLinear(stored) / 32768;
    case 'mulaw':
      return mulawToLinear(stored) / 32768;
  }
}

/** Read back the chunks of a RIFF file (for checking what the writer produced). */
export function listChunks(bytes: Uint8Array): Map<string, Uint8Array> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks = new Map<string, Uint8Array>();
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = v.getUint32(at + 4, true);
    chunks.set(id, bytes.subarray(at + 8, at + 8 + size));
    at += 8 + size + (size & 1);
  }
  return chunks;
}
