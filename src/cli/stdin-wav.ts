/**
 * A WAV that arrived through a pipe. Its writer could not seek back to fill in the data
 * chunk's length, so the header holds a placeholder: 0xFFFFFFFF or 0 (ffmpeg; decodeWav
 * reads those to the end already) or, from sox, the largest length it allows
 * (0x7FFFF000, rounded to the frame size). A declared length of 2 GB or more that is longer
 * than what arrived is such a placeholder: it is replaced by what arrived (in a copy), so
 * the audio is read to its end. A shorter declared length that overruns is left alone: a
 * truncated file, which decodeWav reports.
 */
const PLACEHOLDER_MIN = 0x7f000000;

export function fixStreamedDataLength(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 12) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = (at: number): string => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (id(0) !== 'RIFF' || id(8) !== 'WAVE') return bytes;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id(offset) === 'data') {
      const present = bytes.length - body;
      if (size <= present || size < PLACEHOLDER_MIN || size === 0xffffffff) return bytes;
      const fixed = Uint8Array.from(bytes);
      const out = new DataView(fixed.buffer);
      out.setUint32(offset + 4, present, true);
      out.setUint32(4, Math.min(0xffffffff, fixed.length - 8), true);
      return fixed;
    }
    offset = body + size + (size & 1);
  }
  return bytes;
}
