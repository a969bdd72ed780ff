import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../audio/config.js';
import { spectralEnvelope } from '../audio/envelope.js';
import { pitchStats, type PitchStats } from '../audio/pitch.js';
import { MIN_SELF_PITCH_FRAMES } from '../convert/convert-features.js';
import type { VoiceModel } from '../convert/voice-model.js';
import { saveVoiceModel, serializeStats, type VoiceModelInfo } from '../convert/voice-model.js';
import { VoiceswapError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { makeDirectory } from '../io/mkdir.js';
import { computeSpeakerStats, normalizedSilence, normalizeLogMel, type SpeakerStats } from '../model/normalization.js';
import { upgradeModelConfig, type ModelConfig } from '../model/presets.js';
import { Random, type RandomState } from '../util/random.js';
import { listIterationDirs, writeCheckpoint, loadNewestCheckpoint, pruneIterationDirs } from './checkpoints.js';
import { listWavFiles } from '../io/wav-files.js';
import { loadSpeakerCorpus, utteranceFeatures, type SpeakerCorpus } from './corpus.js';
import { sampleCrops } from './crops.js';
import { appendLossRecord, renderLossPlot, truncateLossRecords, type LossRecord } from './loss-log.js';
import { assertRunFolders, iterationDirName, removeFailedStart, removeRunTemporaries, removeUncheckpointedRun, runPaths, type RunPaths } from './run-dir.js';
import { defaultSchedule, settingsAt, type Schedule } from './schedule.js';
import { CycleGanTrainer, type LossValues } from './step.js';
import { writeTrainingSamples, type HeldOutClip } from './training-samples.js';

/** Everything that defines a training run; saved as run.json and inside every checkpoint. */
export interface RunConfig {
  format: 'voiceswap-run';
  version: 1;
  dirA: string;
  dirB: string;
  model: ModelConfig;
  features: FeatureConfig;
  schedule: Schedule;
  batch: number;
  frames: number;
  seed: number;
  /** Held-out clips (not trained on), converted at every sample point. */
  heldOut: { a: string[]; b: string[] };
  /** How often it samples and checkpoints, and how many it keeps (runs started before this was saved have none). */
  session?: { sampleEvery: number; checkpointEvery: number; keep: number };
}

export interface TrainOptions {
  dirA: string;
  dirB: string;
  out: string;
  model: ModelConfig;
  iterations: number;
  batch: number;
  frames: number;
  seed: number;
  resume: boolean;
  sampleEvery: number;
  checkpointEvery: number;
  /** Checkpoints (and exports) kept on disk. */
  keep: number;
  features?: FeatureConfig;
  /** Changes to the default schedule (loss weights, identity-loss span, learning rates). */
  schedule?: Partial<Omit<Schedule, 'total'>>;
  /** Weights of exported models as float16 (half the size). */
  exportFloat16?: boolean;
  /** Called after every iteration (progress display). */
  onIteration?: (iteration: number, total: number, losses: LossValues) => void;
  log?: (message: string) => void;
  warn?: (message: string) => void;
  /** Checked after every iteration: when true, checkpoint and return early. */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  iteration: number;
  total: number;
  interrupted: boolean;
  checkpointDir: string;
  exportDir: string;
  seconds: number;
}

/** State carried in a checkpoint besides the networks and optimisers. */
interface CheckpointExtra {
  run: RunConfig;
  iteration: number;
  rng: RandomState;
  stats: { a: { mean: number[]; std: number[] }; b: { mean: number[]; std: number[] } };
  /** Absent in checkpoints made before pitch tracking (recomputed from the corpus, which gives the same). */
  pitch?: { a: PitchStats; b: PitchStats };
  elapsedSeconds: number;
}

const HELD_OUT_PER_SPEAKER = 2;

/**
 * Train (or resume training) a CycleGAN-VC2 voice conversion model from two folders of
 * non-parallel recordings. See src/train/run-dir.ts for what it writes.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const paths = runPaths(options.out);
  const features = options.features ?? { ...DEFAULT_FEATURE_CONFIG };
  assertRunFolders(options.dirA, options.dirB, options.out);
  const fresh = freshRunConfig(options, features);
  // What a crashed writer left goes first (an interrupted checkpoint replacement is finished);
  // then everything is checked before anything is written: a start that fails leaves no trace.
  const removed = removeRunTemporaries(paths);
  if (removed > 0) log(`${paths.root}: removed ${removed} temporary file(s) left by an interrupted run`);
  const hasCheckpoint = listIterationDirs(paths.checkpoints).length > 0;
  if (options.resume && !hasCheckpoint && !existsSync(paths.runJson)) {
    throw new VoiceswapError(`${paths.checkpoints}: no checkpoint to resume from (start without --resume, or point --out at the run to continue)`);
  }
  if (!options.resume && hasCheckpoint) {
    throw new VoiceswapError(`${paths.root}: already holds a training run; add --resume to continue it, or choose another --out`);
  }
  const created = { root: !existsSync(paths.root), cache: !existsSync(paths.cache) };
  makeDirectory(paths.root);

  let run: RunConfig;
  let trainer: CycleGanTrainer;
  let rng: Random;
  let start: number;
  let elapsedBefore = 0;
  let stats: { a: SpeakerStats; b: SpeakerStats } | undefined;
  let pitch: { a: PitchStats; b: PitchStats } | undefined;

  if (hasCheckpoint) {
    const ckpt = loadNewestCheckpoint(paths.checkpoints, warn);
    const extra = ckpt.extra as CheckpointExtra;
    try {
      if (!extra || extra.run?.format !== 'voiceswap-run') throw new VoiceswapError(`${ckpt.dir}: not a voiceswap training checkpoint`);
      extra.run = upgradeRunConfig(extra.run);
      assertResumable(extra.run, fresh, ckpt.dir);
      run = resumedRunConfig(extra.run, options);
    } catch (err) {
      ckpt.trainer.dispose();
      throw err;
    }
    const changes = runChanges(extra.run, run);
    if (changes.length > 0) log(`resuming with settings changed from the checkpoint's (run.json updated): ${changes.join(', ')}`);
    writeFileAtomic(paths.runJson, JSON.stringify(run, null, 2) + '\n'); // run.json says what the checkpoints hold
    trainer = ckpt.trainer;
    rng = new Random(extra.rng);
    start = extra.iteration;
    elapsedBefore = extra.elapsedSeconds;
    stats = {
      a: { mean: Float32Array.from(extra.stats.a.mean), std: Float32Array.from(extra.stats.a.std) },
      b: { mean: Float32Array.from(extra.stats.b.mean), std: Float32Array.from(extra.stats.b.std) },
    };
    pitch = extra.pitch;
    truncateLossRecords(paths.losses, start);
    log(`resuming ${paths.root} from iteration ${start} (${ckpt.dir})`);
  } else {
    if (existsSync(paths.runJson)) {
      log(`${paths.root}: its run stopped before its first checkpoint; starting it again from iteration 0`);
      removeUncheckpointedRun(paths);
    }
    run = fresh;
    trainer = new CycleGanTrainer(run.model, { seed: run.seed });
    rng = new Random(run.seed);
    start = 0;
  }

  let checkpointed = hasCheckpoint;
  try {
    const heldOut = { a: new Set(run.heldOut.a), b: new Set(run.heldOut.b) };
    const corpusA = loadSpeakerCorpus(run.dirA, features, { cacheDir: paths.cache, exclude: heldOut.a, warn });
    const corpusB = loadSpeakerCorpus(run.dirB, features, { cacheDir: paths.cache, exclude: heldOut.b, warn });
    log(`speaker A: ${describeCorpus(corpusA)}; speaker B: ${describeCorpus(corpusB)}`);
    // The generators see the model's domain: whole log-mels, or their spectral envelopes.
    const inDomain = (c: SpeakerCorpus) => c.utterances.map((u) => (run.model.domain === 'envelope' ? spectralEnvelope(u.logMel) : u.logMel));
    const featuresA = inDomain(corpusA);
    const featuresB = inDomain(corpusB);
    stats ??= { a: computeSpeakerStats(featuresA), b: computeSpeakerStats(featuresB) };
    pitch ??= { a: speakerPitch(corpusA), b: speakerPitch(corpusB) };
    log(`median F0: speaker A ${Math.exp(pitch.a.logMean).toFixed(0)} Hz, speaker B ${Math.exp(pitch.b.logMean).toFixed(0)} Hz`);
    if (!hasCheckpoint) writeFileAtomic(paths.runJson, JSON.stringify(run, null, 2) + '\n'); // once the data is known to be usable
    const normA = featuresA.map((u) => normalizeLogMel(u, stats!.a));
    const normB = featuresB.map((u) => normalizeLogMel(u, stats!.b));
    const silenceA = normalizedSilence(stats.a, features.logFloor);
    const silenceB = normalizedSilence(stats.b, features.logFloor);
    const clips = heldOutClips(run, features, paths);

    const session = Date.now();
    const elapsed = () => elapsedBefore + (Date.now() - session) / 1000;
    const saveState = async (iteration: number): Promise<{ checkpointDir: string; exportDir: string }> => {
      const extra: CheckpointExtra = { run, iteration, rng: rng.getState(), stats: { a: serializeStats(stats!.a), b: serializeStats(stats!.b) }, pitch, elapsedSeconds: elapsed() };
      const checkpointDir = await writeCheckpoint(paths.checkpoints, iteration, trainer, extra, options.keep);
      checkpointed = true;
      const exportDir = join(paths.exports, iterationDirName(iteration));
      await saveVoiceModel(exportDir, run.model, trainer, modelInfo(run, stats!, pitch!, iteration), { float16: options.exportFloat16 });
      pruneIterationDirs(paths.exports, options.keep);
      writeFileAtomic(paths.lossPlot, renderLossPlot(truncateLossRecords(paths.losses, iteration)));
      return { checkpointDir, exportDir };
    };

    const total = run.schedule.total;
    let iteration = start;
    let saved = { checkpointDir: '', exportDir: '' };
    let interrupted = false;
    while (iteration < total) {
      const s = settingsAt(run.schedule, iteration);
      const batchA = sampleCrops(normA, silenceA, run.batch, run.frames, rng);
      const batchB = sampleCrops(normB, silenceB, run.batch, run.frames, rng);
      const a = tf.tensor3d(batchA.data, [run.batch, batchA.nMels, run.frames]);
      const b = tf.tensor3d(batchB.data, [run.batch, batchB.nMels, run.frames]);
      // Drawn every iteration (noise or not) so that runs with and without noise crop alike.
      const noise = { std: s.cycleNoise, seed: rng.int(2 ** 31) };
      const losses = trainer.step(a, b, { cycle: s.cycleWeight, identity: s.identityWeight }, { g: s.lrG, d: s.lrD }, s.cycleNoise > 0 ? noise : null);
      a.dispose();
      b.dispose();
      iteration++;
      const record: LossRecord = { iteration, time: Number(elapsed().toFixed(3)), ...losses, lrG: s.lrG, lrD: s.lrD, identityWeight: s.identityWeight };
      appendLossRecord(paths.losses, record);
      options.onIteration?.(iteration, total, losses);
      if (!Number.isFinite(losses.gTotal) || !Number.isFinite(losses.dA) || !Number.isFinite(losses.dB)) {
        throw new VoiceswapError(`training diverged at iteration ${iteration} (loss is not finite); resume from the last checkpoint with a lower learning rate or another seed`);
      }
      // The step is synchronous: yield to the event loop so a Ctrl-C (SIGINT) gets handled.
      await new Promise((r) => setImmediate(r));
      const stop = options.shouldStop?.() ?? false;
      if (iteration % options.checkpointEvery === 0 || iteration === total || stop) {
        saved = await saveState(iteration);
        log(`iteration ${iteration}: checkpoint ${saved.checkpointDir}, model ${saved.exportDir} (tensors ${tf.memory().numTensors}, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
      }
      if ((iteration % options.sampleEvery === 0 || iteration === total) && !stop) {
        writeTrainingSamples(join(paths.samples, iterationDirName(iteration)), generatorsView(trainer, run, stats, pitch, iteration), clips, features, iteration);
      }
      if (stop) {
        interrupted = true;
        break;
      }
    }
    if (start >= total) saved = await saveState(iteration);
    return { iteration, total, interrupted, checkpointDir: saved.checkpointDir, exportDir: saved.exportDir, seconds: elapsed() };
  } catch (err) {
    if (!checkpointed) removeFailedStart(paths, created); // nothing to resume: leave the folder as it was
    throw err;
  } finally {
    trainer.dispose();
  }
}

/**
 * The run settings of a resumed run: the checkpoint's, with what `o` changes. A new length
 * moves what follows from it (decay start, identity-loss span) unless those were set by
 * hand; loss weights and noise stay as saved unless `o.schedule` names them.
 */
function resumedRunConfig(saved: RunConfig, o: TrainOptions): RunConfig {
  let schedule = saved.schedule;
  if (o.iterations !== schedule.total) {
    const was = defaultSchedule(schedule.total);
    const now = defaultSchedule(o.iterations);
    schedule = {
      ...schedule,
      total: o.iterations,
      decayStart: schedule.decayStart === was.decayStart ? now.decayStart : schedule.decayStart,
      identityUntil: schedule.identityUntil === was.identityUntil ? now.identityUntil : schedule.identityUntil,
    };
  }
  return { ...saved, schedule: checkedSchedule({ ...schedule, ...o.schedule }), session: sessionOf(o) };
}

/** 'iterations 6 -> 10'-style lines for every schedule or session setting that differs. */
function runChanges(saved: RunConfig, run: RunConfig): string[] {
  const changes: string[] = [];
  for (const key of Object.keys(run.schedule) as (keyof Schedule)[]) {
    if (saved.schedule[key] !== run.schedule[key]) changes.push(`${key === 'total' ? 'iterations' : key} ${saved.schedule[key]} -> ${run.schedule[key]}`);
  }
  for (const key of ['sampleEvery', 'checkpointEvery', 'keep'] as const) {
    if (saved.session && run.session && saved.session[key] !== run.session[key]) changes.push(`${key} ${saved.session[key]} -> ${run.session[key]}`);
  }
  return changes;
}

function sessionOf(o: TrainOptions): NonNullable<RunConfig['session']> {
  return { sampleEvery: o.sampleEvery, checkpointEvery: o.checkpointEvery, keep: o.keep };
}

/** A checkpoint's run settings as this version reads them: options added since get their old behaviour. */
function upgradeRunConfig(run: RunConfig): RunConfig {
  return {
    ...run,
    model: upgradeModelConfig(run.model) as ModelConfig,
    schedule: { ...run.schedule, cycleNoise: run.schedule.cycleNoise ?? 0 },
  };
}

function checkedSchedule(s: Schedule): Schedule {
  for (const key of ['lrG', 'lrD', 'cycleWeight', 'identityWeight', 'identityUntil', 'decayStart', 'cycleNoise'] as const) {
    if (!Number.isFinite(s[key]) || s[key] < 0) throw new VoiceswapError(`schedule ${key} must be a number >= 0, got ${s[key]}`);
  }
  return s;
}

function freshRunConfig(o: TrainOptions, features: FeatureConfig): RunConfig {
  if (o.frames % 4 !== 0 || o.frames < 8) throw new VoiceswapError(`--frames must be a multiple of 4 and at least 8, got ${o.frames}`);
  return {
    format: 'voiceswap-run',
    version: 1,
    dirA: resolve(o.dirA),
    dirB: resolve(o.dirB),
    model: o.model,
    features,
    schedule: checkedSchedule({ ...defaultSchedule(o.iterations), ...o.schedule }),
    batch: o.batch,
    frames: o.frames,
    seed: o.seed,
    heldOut: { a: pickHeldOut(resolve(o.dirA)), b: pickHeldOut(resolve(o.dirB)) },
    session: sessionOf(o),
  };
}

/**
 * Two fixed clips per speaker kept out of training for the periodic samples: spread over
 * the sorted file list (not the first or last file). With fewer than 6 files nothing is
 * held out (too little data to spare) and the first file is used as the sample.
 */
function pickHeldOut(dir: string): string[] {
  const files = listWavFiles(dir, { recursive: true });
  if (files.length < 6) return [];
  return [files[Math.floor(files.length / 3)], files[Math.floor((2 * files.length) / 3)]].slice(0, HELD_OUT_PER_SPEAKER);
}

function heldOutClips(run: RunConfig, features: FeatureConfig, paths: RunPaths): HeldOutClip[] {
  const clips: HeldOutClip[] = [];
  for (const speaker of ['a', 'b'] as const) {
    let files = run.heldOut[speaker];
    if (files.length === 0) files = listWavFiles(speaker === 'a' ? run.dirA : run.dirB, { recursive: true }).slice(0, 1);
    for (const file of files) {
      try {
        clips.push({ speaker, utterance: utteranceFeatures(file, features, paths.cache) });
      } catch (err) {
        if (!(err instanceof VoiceswapError)) throw err;
      }
    }
  }
  return clips;
}

/** Settings a resumed run must share with its checkpoint. */
function assertResumable(saved: RunConfig, requested: RunConfig, where: string): void {
  const differences: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(saved.model, requested.model)) differences.push(`model ${saved.model.preset} (scale ${saved.model.scale}) vs requested ${requested.model.preset} (scale ${requested.model.scale})`);
  if (!same(saved.features, requested.features)) differences.push('feature config');
  if (saved.batch !== requested.batch) differences.push(`batch ${saved.batch} vs ${requested.batch}`);
  if (saved.frames !== requested.frames) differences.push(`frames ${saved.frames} vs ${requested.frames}`);
  if (saved.seed !== requested.seed) differences.push(`seed ${saved.seed} vs ${requested.seed}`);
  if (saved.dirA !== requested.dirA || saved.dirB !== requested.dirB) differences.push(`data folders ${saved.dirA}, ${saved.dirB} vs ${requested.dirA}, ${requested.dirB}`);
  if (differences.length > 0) {
    throw new VoiceswapError(`${where}: checkpoint does not match this command (${differences.join('; ')}); resume with the run's own settings (see run.json) or train into another --out`);
  }
}

/** A speaker's ln-F0 statistics over the corpus; a corpus with (almost) no voicing is an error. */
function speakerPitch(corpus: SpeakerCorpus): PitchStats {
  const stats = pitchStats(corpus.utterances.map((u) => u.pitch), MIN_SELF_PITCH_FRAMES);
  if (!stats) throw new VoiceswapError(`${corpus.dir}: no voiced speech found (fewer than ${MIN_SELF_PITCH_FRAMES} frames with a pitch); is it speech?`);
  return stats;
}

type PitchPair = { a: PitchStats; b: PitchStats };

function modelInfo(run: RunConfig, stats: { a: SpeakerStats; b: SpeakerStats }, pitch: PitchPair, iteration: number): VoiceModelInfo {
  return {
    features: run.features,
    speakers: { a: run.dirA, b: run.dirB },
    stats: { a: serializeStats(stats.a), b: serializeStats(stats.b) },
    pitch,
    iteration,
    trainedAt: new Date().toISOString(),
  };
}

/** The trainer's current generators seen as an inference model (no copy). */
function generatorsView(trainer: CycleGanTrainer, run: RunConfig, stats: { a: SpeakerStats; b: SpeakerStats }, pitch: PitchPair, iteration: number): VoiceModel {
  return { dir: '(training)', config: run.model, info: modelInfo(run, stats, pitch, iteration), stats, pitch, generators: { a2b: trainer.gAB, b2a: trainer.gBA } };
}

function describeCorpus(c: SpeakerCorpus): string {
  return `${c.utterances.length} files, ${(c.seconds / 60).toFixed(1)} min`;
}
