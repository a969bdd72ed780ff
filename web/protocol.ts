/** Messages between the page (main.ts) and the conversion worker (worker.ts). */
import type { ConvertStage, Direction, Spectrogram } from '../src/browser.js';

export type ModelSource =
  | { kind: 'url'; jsonUrl: string; weightsUrl: string; name: string }
  | { kind: 'bytes'; jsonText: string; weights: ArrayBuffer; name: string };

export type ToWorker =
  | { type: 'load'; source: ModelSource }
  | { type: 'convert'; wav: ArrayBuffer; name: string; direction: Direction; semitones: number };

export type FromWorker =
  | { type: 'loaded'; description: string; backend: string }
  | { type: 'progress'; stage: ConvertStage | 'decode' | 'encode'; done: number }
  | {
      type: 'converted';
      wav: ArrayBuffer;
      sampleRate: number;
      seconds: number;
      convertMs: number;
      input: Spectrogram;
      output: Spectrogram;
      hopLength: number;
      fMin: number;
      fMax: number;
    }
  | { type: 'error'; message: string; during: 'load' | 'convert' };
