import type { WavEncoding } from '../audio/wav.js';
import type { Direction } from '../convert/direction.js';
import type { ExcitationMode, VoicingMode } from '../convert/excitation-mode.js';
import type { VoiceModel } from '../convert/voice-model.js';
import type { ConvertedAudio } from '../convert/convert-audio.js';
import type { InputStatsChoice } from '../convert/input-stats.js';

/**
 * One file's conversion as `voiceswap convert` runs it, the same in the main thread
 * (--jobs 1) and in a worker thread: convert, write atomically, optionally the picture,
 * and the figures of the --json line. Settings are plain data (they cross to workers).
 */
export interface JobSettings {
  direction: Direction;
  iterations?: number;
  keepRate?: boolean;
  statsOnly?: boolean;
  excitation?: ExcitationMode;
  voicing?: VoicingMode;
  /** false: no harmonic phase lock in the vocoder (--no-harmonic-lock); default on. */
  harmonicLock?: boolean;
  f0Ratio?: number;
  formantRatio?: number;
  /** The statistics the input is normalised with (convert/input-stats.ts); default: each file's own. */
  inputStats?: InputStatsChoice;
  encoding: WavEncoding;
  /** Also write the input/output spectrogram picture (NAME.a2b.png). */
  spectrogram?: boolean;
  /** Measure the median F0 of input and output (for --json). */
  measureF0?: boolean;
}

export interface JobTask {
  input: string;
  output: string;
  picture?: string;
}

/** What one converted file reports (the --json line, in the CLI's snake_case). */
export interface JobResult {
  input: string;
  output: string;
  audio_seconds: number;
  wall_seconds: number;
  /** Median F0 (Hz) of the voiced frames, by the front end's pitch tracker; null when unvoiced or not measured. */
  f0_median_in_hz: number | null;
  f0_median_out_hz: number | null;
}

type Modules = {
  convertAudio: typeof import('../convert/convert-audio.js').convertAudio;
  readWav: typeof import('../audio/wav.js').readWav;
  writeWav: typeof import('../audio/wav.js').writeWav;
  resample: typeof import('../audio/resample.js').resample;
  trackPitch: typeof import('../audio/pitch.js').trackPitch;
  voicedF0: typeof import('../audio/pitch.js').voicedF0;
  median: typeof import('../audio/pitch.js').median;
  renderSpectrogramStackPng?: typeof import('../viz/spectrogram-image.js').renderSpectrogramStackPng;
  writeUserFileAtomic: typeof import('../io/atomic.js').writeUserFileAtomic;
};
let modules: Modules | undefined;

/**
 * The conversion modules (tfjs among them), loaded once the backend is chosen; the picture
 * renderer (a native canvas package) only when pictures are wanted.
 */
export async function loadJobModules(pictures = false): Promise<void> {
  if (modules && (!pictures || modules.renderSpectrogramStackPng)) return;
  const [convert, wav, res, pitch, viz, atomic] = await Promise.all([
    import('../convert/convert-audio.js'),
    import('../audio/wav.js'),
    import('../audio/resample.js'),
    import('../audio/pitch.js'),
    pictures ? import('../viz/spectrogram-image.js') : undefined,
    import('../io/atomic.js'),
  ]);
  modules = {
    convertAudio: convert.convertAudio,
    readWav: wav.readWav,
    writeWav: wav.writeWav,
    resample: res.resample,
    trackPitch: pitch.trackPitch,
    voicedF0: pitch.voicedF0,
    median: pitch.median,
    renderSpectrogramStackPng: viz?.renderSpectrogramStackPng,
    writeUserFileAtomic: atomic.writeUserFileAtomic,
  };
}

function mods(): Modules {
  if (!modules) throw new Error('convert-job: loadJobModules() was not awaited');
  return modules;
}

/** Median F0 (Hz) of samples at `rate` by the conversion front end's tracker; null when nothing is voiced. */
export function medianF0(model: VoiceModel, samples: Float32Array, rate: number): number | null {
  const m = mods();
  const features = model.info.features;
  const x = rate === features.sampleRate ? samples : m.resample(samples, rate, features.sampleRate);
  const voiced = m.voicedF0(m.trackPitch(x, features));
  if (voiced.length === 0) return null;
  return Math.round(m.median(voiced) * 10) / 10;
}

/** Convert decoded samples (a file's or stdin's) with the job's settings. */
export function convertSamples(model: VoiceModel, samples: Float32Array, sampleRate: number, settings: JobSettings): ConvertedAudio {
  return mods().convertAudio(model, samples, sampleRate, {
    direction: settings.direction,
    iterations: settings.iterations,
    keepRate: settings.keepRate,
    statsOnly: settings.statsOnly,
    excitation: settings.excitation,
    voicing: settings.voicing,
    harmonicLock: settings.harmonicLock === false ? null : undefined,
    f0Ratio: settings.f0Ratio,
    formantRatio: settings.formantRatio,
    inputStats: settings.inputStats,
  });
}

/** The --json figures of one conversion. */
export function jobResult(
  model: VoiceModel,
  task: { input: string; output: string },
  source: { samples: Float32Array; sampleRate: number },
  converted: ConvertedAudio,
  settings: JobSettings,
  started: number,
): JobResult {
  const wall = (performance.now() - started) / 1000;
  return {
    input: task.input,
    output: task.output,
    audio_seconds: round3(converted.samples.length / converted.sampleRate),
    wall_seconds: round3(wall),
    f0_median_in_hz: settings.measureF0 ? medianF0(model, source.samples, source.sampleRate) : null,
    f0_median_out_hz: settings.measureF0 ? medianF0(model, converted.samples, converted.sampleRate) : null,
  };
}

/** Read, convert and write one file (atomically, never over the input); the picture too with --spectrogram. */
export function convertJob(model: VoiceModel, task: JobTask, settings: JobSettings): JobResult {
  const m = mods();
  const started = performance.now();
  const wav = m.readWav(task.input);
  const converted = convertSamples(model, wav.samples, wav.sampleRate, settings);
  m.writeWav(task.output, converted.samples, converted.sampleRate, { encoding: settings.encoding, protect: [task.input] });
  if (settings.spectrogram && task.picture) {
    if (!m.renderSpectrogramStackPng) throw new Error('convert-job: loadJobModules(true) was not awaited');
    const f = model.info.features;
    m.writeUserFileAtomic(
      task.picture,
      m.renderSpectrogramStackPng(
        [
          { spec: converted.input, title: `input: ${task.input}` },
          { spec: converted.output, title: `output (${settings.direction}): ${task.output}` },
        ],
        { kind: 'mel', sampleRate: f.sampleRate, hopLength: f.hopLength, fMin: f.fMin, fMax: f.fMax },
      ),
    );
  }
  return jobResult(model, task, wav, converted, settings, started);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
