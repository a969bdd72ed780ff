/**
 * The conversion worker: tfjs on its WebAssembly backend (the wasm files served beside
 * this script, under wasm/), the library's own model parser, front end, generator and
 * vocoder. Runs off the page's thread so the page stays responsive and shows progress.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  assertFeatures,
  convertAudio,
  decodeWav,
  DEFAULT_FEATURE_CONFIG,
  disposeVoiceModel,
  encodeWav,
  installWasmKernels,
  voiceModelFromBytes,
  type VoiceModel,
} from '../src/browser.js';
import type { FromWorker, ModelSource, ToWorker } from './protocol.js';

const post = (message: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(message, transfer);

/** One readable line for any error: our errors already are; others lose their stack. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim() || 'unknown error';
}

let backendReady: Promise<string> | undefined;
function startBackend(): Promise<string> {
  backendReady ??= (async () => {
    setWasmPaths(new URL('wasm/', self.location.href).href);
    installWasmKernels();
    if (!(await tf.setBackend('wasm'))) throw new Error('the WebAssembly backend of tfjs failed to start in this browser');
    await tf.ready();
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    return `tfjs wasm (${simd ? 'SIMD' : 'no SIMD'})`;
  })();
  return backendReady;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function readModel(source: ModelSource): Promise<VoiceModel> {
  let jsonText: string;
  let weights: Uint8Array;
  if (source.kind === 'url') {
    const [j, w] = await Promise.all([fetchBytes(source.jsonUrl), fetchBytes(source.weightsUrl)]);
    jsonText = new TextDecoder().decode(j);
    weights = w;
  } else {
    jsonText = source.jsonText;
    weights = new Uint8Array(source.weights);
  }
  const model = voiceModelFromBytes(jsonText, weights, ['a2b', 'b2a'], source.name);
  try {
    assertFeatures(model, DEFAULT_FEATURE_CONFIG); // a model with other features would convert to garbage
  } catch (err) {
    disposeVoiceModel(model);
    throw err;
  }
  return model;
}

let model: VoiceModel | undefined;

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'load') {
    try {
      const backend = await startBackend();
      const next = await readModel(message.source);
      if (model) disposeVoiceModel(model);
      model = next;
      const f = model.info.features;
      post({ type: 'loaded', backend, description: `${message.source.name} (${model.config.nMels} mel bands, ${f.sampleRate} Hz)` });
    } catch (err) {
      post({ type: 'error', during: 'load', message: oneLine(err) });
    }
    return;
  }
  try {
    if (!model) throw new Error('no model loaded');
    post({ type: 'progress', stage: 'decode', done: 0 });
    const wav = decodeWav(new Uint8Array(message.wav), message.name);
    const start = performance.now();
    const converted = convertAudio(model, wav.samples, wav.sampleRate, {
      direction: message.direction,
      f0Ratio: 2 ** (message.semitones / 12),
      progress: (stage, done) => post({ type: 'progress', stage, done }),
    });
    const convertMs = performance.now() - start;
    post({ type: 'progress', stage: 'encode', done: 0.99 });
    const bytes = encodeWav(converted.samples, converted.sampleRate);
    const f = model.info.features;
    post(
      {
        type: 'converted',
        wav: bytes.buffer as ArrayBuffer,
        sampleRate: converted.sampleRate,
        seconds: converted.samples.length / converted.sampleRate,
        convertMs,
        input: converted.input,
        output: converted.output,
        hopLength: f.hopLength,
        fMin: f.fMin,
        fMax: f.fMax,
      },
      [bytes.buffer as ArrayBuffer],
    );
  } catch (err) {
    post({ type: 'error', during: 'convert', message: oneLine(err) });
  }
};
