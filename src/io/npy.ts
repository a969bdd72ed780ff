import { readFileSync } from 'node:fs';
import { FileError } from '../errors.js';
import { writeUserFileAtomic } from './atomic.js';

/** A float32 array with its shape, as stored in a NumPy .npy file (C order). */
export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parse a .npy (version 1.0/2.0/3.0) holding little-endian float32 or float64 in C order. */
export function parseNpy(bytes: Uint8Array, file = '<npy>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new FileError(file, 'not a NumPy .npy file (bad magic bytes)');
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLen)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new FileError(file, 'malformed .npy header');
  if (fortran === 'True') throw new FileError(file, 'Fortran-order .npy arrays are not supported');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const itemSize = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (itemSize === 0) throw new FileError(file, `unsupported .npy dtype ${descr} (need <f4 or <f8)`);
  if (bytes.length - dataStart < count * itemSize) {
    throw new FileError(file, `.npy data is truncated: need ${count * itemSize} bytes, have ${bytes.length - dataStart}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = itemSize === 4 ? view.getFloat32(dataStart + 4 * i, true) : view.getFloat64(dataStart + 8 * i, true);
  }
  return { shape, data };
}

export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new FileError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseNpy(bytes, path);
}

/** Serialise a float32 array as .npy version 1.0 (header padded so data starts on a 64-byte boundary). */
export function encodeNpy(array: NpyArray): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) throw new Error(`npy shape ${array.shape} does not match ${array.data.length} values`);
  const shapeText = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + 4 * count);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < count; i++) body.setFloat32(4 * i, array.data[i], true);
  return out;
}

/** Write a .npy atomically; a failure is a one-line FileError naming `path`. */
export function writeNpy(path: string, array: NpyArray): void {
  writeUserFileAtomic(path, encodeNpy(array));
}
