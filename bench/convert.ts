/**
 * Real-time factor of `voiceswap convert` on ONE CPU core: seconds of processing per second
 * of audio, end to end (read the WAV, resample if needed, log-mel, normalise, generator,
 * de-normalise, Griffin-Lim at the vocoder's default iterations, write a WAV), and its
 * split into features (read + resample + log-mel), generator (with normalisation),
 * vocoder and write (encode + atomic write with fsync). The README's goal is an end-to-end RTF of at most 0.1.
 *
 *   node dist/bench/run.js convert
 *
 * The generator runs on the native oneDNN backend with one thread when it is built, else
 * on wasm (one thread under Node). Model: the shipped models/alice-bob when present, else a
 * freshly initialised small-preset generator (random weights run exactly as fast).
 * Input: samples/dev/alice/*.wav, else samples/demo/*.wav.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, type Spectrogram } from '../src/audio/config.js';
import { logMelSpectrogram } from '../src/audio/features.js';
import { logMelToAudio } from '../src/audio/griffinlim.js';
import { resample } from '../src/audio/resample.js';
import { readWav, writeWav } from '../src/audio/wav.js';
import { initBackend, type BackendInfo } from '../src/backend/index.js';
import { defaultModelDir } from '../src/convert/shipped-model.js';
import { convertFile } from '../src/convert/convert-file.js';
import { convertFeatures } from '../src/convert/convert-features.js';
import { spectralEnvelope } from '../src/audio/envelope.js';
import { trackPitch, type PitchStats } from '../src/audio/pitch.js';
import { assertFeatures, disposeVoiceModel, loadVoiceModel, serializeStats, type VoiceModel } from '../src/convert/voice-model.js';
import { VoiceswapError } from '../src/errors.js';
import { createGenerator } from '../src/model/generator.js';
import { computeSpeakerStats } from '../src/model/normalization.js';
import { presetConfig } from '../src/model/presets.js';
import { packageRoot } from '../src/util/package-root.js';
import { convertBenchInputs, type BenchResult } from './common.js';

const DIRECTION = 'a2b';
/** Timed passes over the input; the best of each figure is kept (other load only slows a pass down). */
const PASSES = 2;

/** Seconds spent in each stage of a conversion, summed over files. */
interface StageSeconds {
  features: number;
  generator: number;
  vocoder: number;
  write: number;
}

/** The native backend on one thread if it is built here, else wasm (single-threaded under Node). */
async function startOneCoreBackend(log: (line: string) => void): Promise<BackendInfo> {
  try {
    return await initBackend('native', { threads: 1 });
  } catch (err) {
    if (!(err instanceof VoiceswapError)) throw err;
    log(`${err.message}; using wasm`);
    return initBackend('wasm', { threads: 1 });
  }
}


/**
 * A small-preset a2b generator with fresh weights, normalising with statistics of the
 * input itself and a typical pitch: the speed of a trained model of that preset, not its sound.
 */
function freshSmallModel(logMels: Spectrogram[]): VoiceModel {
  const config = presetConfig('small');
  const stats = computeSpeakerStats(logMels.map(spectralEnvelope));
  const speakerPitch: PitchStats = { logMean: Math.log(150), logStd: 0.15, voicedFrames: 1000 };
  return {
    dir: '(fresh small preset)',
    config,
    info: {
      features: { ...DEFAULT_FEATURE_CONFIG },
      speakers: { a: 'input', b: 'input' },
      stats: { a: serializeStats(stats), b: serializeStats(stats) },
      pitch: { a: speakerPitch, b: speakerPitch },
      iteration: 0,
      trainedAt: new Date().toISOString(),
    },
    stats: { a: stats, b: stats },
    pitch: { a: speakerPitch, b: speakerPitch },
    // The source's voicing: a voicing classifier adds ~400 multiply-adds a frame, nothing next to the generator.
    voicing: null,
    transport: null,
    generators: { [DIRECTION]: createGenerator(config, 'G_AB', 0) },
  };
}

/** The same steps as convertFile, timed one by one. */
function timeStages(model: VoiceModel, files: string[], outDir: string): StageSeconds {
  const features = model.info.features;
  const seconds: StageSeconds = { features: 0, generator: 0, vocoder: 0, write: 0 };
  for (const [i, file] of files.entries()) {
    let start = performance.now();
    const wav = readWav(file);
    const x = resample(wav.samples, wav.sampleRate, features.sampleRate);
    const input = logMelSpectrogram(x, features);
    const pitch = trackPitch(x, features);
    seconds.features += (performance.now() - start) / 1000;
    start = performance.now();
    const output = convertFeatures(model, input, pitch, DIRECTION);
    seconds.generator += (performance.now() - start) / 1000;
    start = performance.now();
    const y = logMelToAudio(output.logMel, { cfg: features, length: x.length, harmonics: output.harmonics });
    seconds.vocoder += (performance.now() - start) / 1000;
    start = performance.now();
    writeWav(join(outDir, `${i}.wav`), y, features.sampleRate, { protect: [file] });
    seconds.write += (performance.now() - start) / 1000;
  }
  return seconds;
}

/** Wall-clock seconds of convertFile (what the CLI runs per file) over all files. */
function timeEndToEnd(model: VoiceModel, files: string[], outDir: string): number {
  const start = performance.now();
  files.forEach((file, i) => convertFile(model, file, join(outDir, `${i}.wav`), { direction: DIRECTION }));
  return (performance.now() - start) / 1000;
}

export async function benchConvert(log: (line: string) => void = console.log): Promise<BenchResult[]> {
  const root = packageRoot() ?? '.';
  const backend = await startOneCoreBackend(log);
  const files = convertBenchInputs(root);
  const audioSeconds = files.reduce((sum, f) => {
    const wav = readWav(f);
    return sum + wav.samples.length / wav.sampleRate;
  }, 0);

  const shipped = defaultModelDir();
  let model: VoiceModel;
  let modelLabel: string;
  if (existsSync(shipped)) {
    model = loadVoiceModel(shipped, [DIRECTION]);
    assertFeatures(model, DEFAULT_FEATURE_CONFIG);
    modelLabel = `${model.config.preset} preset`;
    log(`model: ${model.dir} (${modelLabel}, scale ${model.config.scale})`);
  } else {
    model = freshSmallModel(files.map((f) => logMelSpectrogram(readWav(f).samples, DEFAULT_FEATURE_CONFIG)));
    modelLabel = 'fresh small preset';
    log(`model: ${shipped} does not exist; using a freshly initialised small-preset model (random weights, same speed)`);
  }
  log(`backend: ${backend.name} - ${backend.description}`);
  log(`input: ${files.length} files, ${audioSeconds.toFixed(1)} s of audio (${files[0]} ...), direction ${DIRECTION}`);

  const outDir = mkdtempSync(join(tmpdir(), 'voiceswap-bench-convert-'));
  try {
    timeEndToEnd(model, files.slice(0, 1), outDir); // warm-up: JIT, kernel set-up, memory growth
    let total = Infinity;
    const stages: StageSeconds = { features: Infinity, generator: Infinity, vocoder: Infinity, write: Infinity };
    for (let pass = 0; pass < PASSES; pass++) {
      total = Math.min(total, timeEndToEnd(model, files, outDir));
      const s = timeStages(model, files, outDir);
      for (const key of Object.keys(stages) as (keyof StageSeconds)[]) stages[key] = Math.min(stages[key], s[key]);
    }
    const rtf = (s: number) => s / audioSeconds;
    const split = stages.features + stages.generator + stages.vocoder + stages.write;
    log(
      `real-time factor ${rtf(total).toFixed(3)} end to end (${total.toFixed(2)} s for ${audioSeconds.toFixed(1)} s; goal <= 0.100); ` +
        `split: features ${rtf(stages.features).toFixed(3)}, generator ${rtf(stages.generator).toFixed(3)}, ` +
        `vocoder ${rtf(stages.vocoder).toFixed(3)}, write ${rtf(stages.write).toFixed(3)} (sum ${rtf(split).toFixed(3)}, timed separately); best of ${PASSES} passes`,
    );
    const tag = `${modelLabel}, ${backend.name} on 1 thread`;
    return [
      { name: `convert end to end (${tag}): real-time factor`, value: rtf(total), unit: 'compute s per audio s' },
      { name: 'convert features (read, resample, log-mel): real-time factor', value: rtf(stages.features), unit: 'compute s per audio s' },
      { name: 'convert generator (with normalisation): real-time factor', value: rtf(stages.generator), unit: 'compute s per audio s' },
      { name: 'convert vocoder (Griffin-Lim defaults): real-time factor', value: rtf(stages.vocoder), unit: 'compute s per audio s' },
      { name: 'convert write (encode, atomic write): real-time factor', value: rtf(stages.write), unit: 'compute s per audio s' },
    ];
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    disposeVoiceModel(model);
  }
}
