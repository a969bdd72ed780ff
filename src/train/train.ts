import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../audio/config.js';
import { spectralEnvelope } from '../audio/envelope.js';
import { pitchStats, type PitchStats } from '../audio/pitch.js';
import type { Spectrogram } from '../audio/config.js';
import { MIN_SELF_PITCH_FRAMES } from '../convert/convert-features.js';
import type { VoiceModel } from '../convert/voice-model.js';
import { VoiceswapError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { makeDirectory } from '../io/mkdir.js';
import { computeSpeakerStats, DEFAULT_STATS_OPTIONS, normalizedSilence, normalizeLogMel, voicedFrameMask, type SpeakerStats } from '../model/normalization.js';
import { frameSecondMoments, transportMaps, type TransportMaps } from '../model/transport.js';
import { fitSpeakerVoicing, type VoicingClassifier } from '../model/voicing.js';
import { loadNewestCheckpoint, writeCheckpoint, type RunState } from '../run/checkpoints.js';
import { saveVoiceModel, serializeStats, serializeTransport, type VoiceModelInfo } from '../run/export.js';
import { appendLossRecord, renderLossPlot, truncateLossRecords, type LossRecord, type LossValues } from '../run/loss-log.js';
import { assertResumable, freshRunConfig, resumedRunConfig, runChanges, sampleClipFiles, upgradeRunConfig, writeRunSettings, type RunConfig, type RunRequest } from '../run/run-config.js';
import {
  assertRunFolders,
  iterationDirName,
  listIterationDirs,
  pruneIterationDirs,
  removeFailedStart,
  removeRunTemporaries,
  removeUncheckpointedRun,
  runPaths,
  type RunPaths,
} from '../run/run-dir.js';
import { settingsAt } from '../run/schedule.js';
import { Random } from '../util/random.js';
import { loadSpeakerCorpus, utteranceFeatures, type SpeakerCorpus } from './corpus.js';
import { sampleCrops } from './crops.js';
import { CycleGanTrainer } from './step.js';
import { trainerCheckpoint, trainerFromCheckpoint } from './trainer-state.js';
import { writeTrainingSamples, type HeldOutClip } from './training-samples.js';

export type { RunConfig };

export interface TrainOptions extends RunRequest {
  out: string;
  resume: boolean;
  /** The run's features; default DEFAULT_FEATURE_CONFIG (the documented default, as `voiceswap train` uses). A resumed run must have the same. */
  features?: FeatureConfig;
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

type Pair<T> = { a: T; b: T };

/** Where a run starts this session: a fresh trainer, or a checkpoint's state. */
interface Start {
  run: RunConfig;
  trainer: CycleGanTrainer;
  rng: Random;
  iteration: number;
  elapsedSeconds: number;
  /** From the checkpoint; computed from the corpus on a fresh start. */
  stats?: Pair<SpeakerStats>;
  pitch?: Pair<PitchStats>;
  resumed: boolean;
}

/** Everything the loop uses: the run, its trainer, its data and where it writes. */
interface Session extends Start {
  paths: RunPaths;
  options: TrainOptions;
  features: FeatureConfig;
  stats: Pair<SpeakerStats>;
  pitch: Pair<PitchStats>;
  /** Refitted on every start (deterministic, seconds), so checkpoints need not hold them. */
  voicing: Pair<VoicingClassifier>;
  /** The 'transport' skip's maps (null for other skips); recomputed on every start from the data and statistics, like the voicing. */
  transport: TransportMaps | null;
  /** Normalised training utterances in the model's domain, and each speaker's silence. */
  data: Pair<Spectrogram[]>;
  silence: Pair<Float32Array>;
  clips: HeldOutClip[];
  elapsed: () => number;
}

/**
 * Train (or resume training) a CycleGAN-VC2 voice conversion model from two folders of
 * non-parallel recordings. See src/run/run-dir.ts for what it writes.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const paths = runPaths(options.out);
  // The documented default for library users (README, Library); from here on the run's
  // `features` (run.json, checked against a resumed run's) is the one source.
  const features = options.features ?? { ...DEFAULT_FEATURE_CONFIG };
  assertRunFolders(options.dirA, options.dirB, options.out);
  const fresh = freshRunConfig(options, features); // checks the request before anything is written
  const { hasCheckpoint, created } = prepareRunDir(options, paths, log);
  const start = hasCheckpoint ? resumeFromCheckpoint(fresh, options, paths, log, warn) : freshStart(fresh, paths, log);
  let checkpointed = hasCheckpoint;
  try {
    const s = await openSession(start, options, paths, log, warn);
    const total = s.run.schedule.total;
    let saved = { checkpointDir: '', exportDir: '' };
    let interrupted = false;
    while (s.iteration < total) {
      const losses = trainStep(s);
      recordLosses(s, losses);
      await yieldToSignals();
      const stop = options.shouldStop?.() ?? false;
      if (s.iteration % options.checkpointEvery === 0 || s.iteration === total || stop) {
        saved = await saveState(s);
        checkpointed = true;
        log(`iteration ${s.iteration}: checkpoint ${saved.checkpointDir}, model ${saved.exportDir} (tensors ${tf.memory().numTensors}, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
      }
      if ((s.iteration % options.sampleEvery === 0 || s.iteration === total) && !stop) writeSamples(s);
      if (stop) {
        interrupted = true;
        break;
      }
    }
    if (start.iteration >= total) saved = await saveState(s);
    return { iteration: s.iteration, total, interrupted, checkpointDir: saved.checkpointDir, exportDir: saved.exportDir, seconds: s.elapsed() };
  } catch (err) {
    if (!checkpointed) removeFailedStart(paths, created); // nothing to resume: leave the folder as it was
    throw err;
  } finally {
    start.trainer.dispose();
  }
}

/**
 * What a crashed writer left goes first (an interrupted checkpoint replacement is
 * finished); then everything is checked before anything is written: a start that fails
 * leaves no trace.
 */
function prepareRunDir(options: TrainOptions, paths: RunPaths, log: (m: string) => void): { hasCheckpoint: boolean; created: { root: boolean; cache: boolean } } {
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
  return { hasCheckpoint, created };
}

/** The newest good checkpoint's state, with the run settings this command changes (run.json updated). */
function resumeFromCheckpoint(fresh: RunConfig, options: TrainOptions, paths: RunPaths, log: (m: string) => void, warn: (m: string) => void): Start {
  const ckpt = loadNewestCheckpoint(paths.checkpoints, warn, trainerFromCheckpoint);
  const extra = ckpt.extra as RunState;
  let run: RunConfig;
  try {
    if (!extra || extra.run?.format !== 'voiceswap-run') throw new VoiceswapError(`${ckpt.dir}: not a voiceswap training checkpoint`);
    extra.run = upgradeRunConfig(extra.run);
    assertResumable(extra.run, fresh, ckpt.dir);
    run = resumedRunConfig(extra.run, options);
  } catch (err) {
    ckpt.state.dispose();
    throw err;
  }
  const changes = runChanges(extra.run, run);
  if (changes.length > 0) log(`resuming with settings changed from the checkpoint's (run.json updated): ${changes.join(', ')}`);
  writeRunSettings(paths.root, run); // run.json says what the checkpoints hold
  truncateLossRecords(paths.losses, extra.iteration);
  log(`resuming ${paths.root} from iteration ${extra.iteration} (${ckpt.dir})`);
  return {
    run,
    trainer: ckpt.state,
    rng: new Random(extra.rng),
    iteration: extra.iteration,
    elapsedSeconds: extra.elapsedSeconds,
    stats: {
      a: { mean: Float32Array.from(extra.stats.a.mean), std: Float32Array.from(extra.stats.a.std) },
      b: { mean: Float32Array.from(extra.stats.b.mean), std: Float32Array.from(extra.stats.b.std) },
    },
    pitch: extra.pitch,
    resumed: true,
  };
}

/** A new trainer at iteration 0 (what a run that stopped before its first checkpoint wrote is removed). */
function freshStart(run: RunConfig, paths: RunPaths, log: (m: string) => void): Start {
  if (existsSync(paths.runJson)) {
    log(`${paths.root}: its run stopped before its first checkpoint; starting it again from iteration 0`);
    removeUncheckpointedRun(paths);
  }
  return { run, trainer: new CycleGanTrainer(run.model, { seed: run.seed }), rng: new Random(run.seed), iteration: 0, elapsedSeconds: 0, resumed: false };
}

/** Load both speakers' data, their statistics and the sample clips; a fresh run's run.json is written once the data is known to be usable. */
async function openSession(start: Start, options: TrainOptions, paths: RunPaths, log: (m: string) => void, warn: (m: string) => void): Promise<Session> {
  const { run } = start;
  const { features } = run; // the run's, not a default
  const corpusA = loadSpeakerCorpus(run.dirA, features, { cacheDir: paths.cache, exclude: new Set(run.heldOut.a), warn });
  const corpusB = loadSpeakerCorpus(run.dirB, features, { cacheDir: paths.cache, exclude: new Set(run.heldOut.b), warn });
  log(`speaker A: ${describeCorpus(corpusA)}; speaker B: ${describeCorpus(corpusB)}`);
  // The generators see the model's domain: whole log-mels, or their spectral envelopes.
  const inDomain = (c: SpeakerCorpus) => c.utterances.map((u) => (run.model.domain === 'envelope' ? spectralEnvelope(u.logMel) : u.logMel));
  const featuresA = inDomain(corpusA);
  const featuresB = inDomain(corpusB);
  const stats = start.stats ?? { a: computeSpeakerStats(featuresA), b: computeSpeakerStats(featuresB) };
  const pitch = start.pitch ?? { a: speakerPitch(corpusA), b: speakerPitch(corpusB) };
  log(`median F0: speaker A ${Math.exp(pitch.a.logMean).toFixed(0)} Hz, speaker B ${Math.exp(pitch.b.logMean).toFixed(0)} Hz`);
  // Envelope-domain models already hold the envelopes; log-mel ones have them computed.
  const envelopesIn = (inDomainFeatures: Spectrogram[]) => (run.model.domain === 'envelope' ? inDomainFeatures : undefined);
  const voicingA = fitSpeakerVoicing(corpusA.utterances, stats.a, envelopesIn(featuresA));
  const voicingB = fitSpeakerVoicing(corpusB.utterances, stats.b, envelopesIn(featuresB));
  const voicing = { a: voicingA.classifier, b: voicingB.classifier };
  log(`voicing classifiers: ${(100 * voicingA.accuracy).toFixed(1)}% of speaker A's frames and ${(100 * voicingB.accuracy).toFixed(1)}% of B's classified like the pitch tracker`);
  const data = { a: featuresA.map((u) => normalizeLogMel(u, stats.a)), b: featuresB.map((u) => normalizeLogMel(u, stats.b)) };
  // The frames the statistics count (non-silent) give each speaker's frame distribution.
  const moments = (normalized: Spectrogram[], inDomainFeatures: Spectrogram[]) =>
    frameSecondMoments(normalized, inDomainFeatures.map((u) => voicedFrameMask(u, DEFAULT_STATS_OPTIONS.silenceDb)));
  const transport = run.model.inputSkip === 'transport' ? transportMaps(moments(data.a, featuresA), moments(data.b, featuresB), run.model.nMels) : null;
  if (!start.resumed) writeRunSettings(paths.root, run);
  const sessionStart = Date.now();
  return {
    ...start,
    paths,
    options,
    features,
    stats,
    pitch,
    voicing,
    transport,
    data,
    silence: { a: normalizedSilence(stats.a, features.logFloor), b: normalizedSilence(stats.b, features.logFloor) },
    clips: heldOutClips(run, features, paths),
    elapsed: () => start.elapsedSeconds + (Date.now() - sessionStart) / 1000,
  };
}

/** One iteration: a batch of crops per speaker, one update of all four networks at this iteration's settings. */
function trainStep(s: Session): LossValues {
  const { run, rng } = s;
  const at = settingsAt(run.schedule, s.iteration);
  const batchA = sampleCrops(s.data.a, s.silence.a, run.batch, run.frames, rng);
  const batchB = sampleCrops(s.data.b, s.silence.b, run.batch, run.frames, rng);
  const a = tf.tensor3d(batchA.data, [run.batch, batchA.nMels, run.frames]);
  const b = tf.tensor3d(batchB.data, [run.batch, batchB.nMels, run.frames]);
  // Drawn every iteration (noise or not) so that runs with and without noise crop alike.
  const noise = { std: at.cycleNoise, seed: rng.int(2 ** 31) };
  try {
    return s.trainer.step(a, b, { cycle: at.cycleWeight, identity: at.identityWeight }, { g: at.lrG, d: at.lrD }, at.cycleNoise > 0 ? noise : null, s.transport);
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** Count the iteration, append its losses.jsonl line, report it; a loss that is not finite stops the run. */
function recordLosses(s: Session, losses: LossValues): void {
  const at = settingsAt(s.run.schedule, s.iteration);
  s.iteration++;
  const record: LossRecord = { iteration: s.iteration, time: Number(s.elapsed().toFixed(3)), ...losses, lrG: at.lrG, lrD: at.lrD, identityWeight: at.identityWeight };
  appendLossRecord(s.paths.losses, record);
  s.options.onIteration?.(s.iteration, s.run.schedule.total, losses);
  if (!Number.isFinite(losses.gTotal) || !Number.isFinite(losses.dA) || !Number.isFinite(losses.dB)) {
    throw new VoiceswapError(`training diverged at iteration ${s.iteration} (loss is not finite); resume from the last checkpoint with a lower learning rate or another seed`);
  }
}

/** The step is synchronous: yield to the event loop so a Ctrl-C (SIGINT) gets handled. */
function yieldToSignals(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Checkpoint and export the model at the current iteration (keeping the newest), redraw the loss plot. */
async function saveState(s: Session): Promise<{ checkpointDir: string; exportDir: string }> {
  const { paths, options, run, iteration } = s;
  const extra: RunState = { run, iteration, rng: s.rng.getState(), stats: { a: serializeStats(s.stats.a), b: serializeStats(s.stats.b) }, pitch: s.pitch, elapsedSeconds: s.elapsed() };
  const checkpointDir = await writeCheckpoint(paths.checkpoints, iteration, trainerCheckpoint(s.trainer, extra), options.keep);
  const exportDir = join(paths.exports, iterationDirName(iteration));
  await saveVoiceModel(exportDir, run.model, s.trainer, modelInfo(s), { float16: options.exportFloat16 });
  pruneIterationDirs(paths.exports, options.keep);
  writeFileAtomic(paths.lossPlot, renderLossPlot(truncateLossRecords(paths.losses, iteration)));
  return { checkpointDir, exportDir };
}

/** The held-out clips converted both ways with the current generators. */
function writeSamples(s: Session): void {
  writeTrainingSamples(join(s.paths.samples, iterationDirName(s.iteration)), generatorsView(s), s.clips, s.features, s.iteration);
}

function heldOutClips(run: RunConfig, features: FeatureConfig, paths: RunPaths): HeldOutClip[] {
  const clips: HeldOutClip[] = [];
  for (const speaker of ['a', 'b'] as const) {
    for (const file of sampleClipFiles(run, speaker)) {
      try {
        clips.push({ speaker, utterance: utteranceFeatures(file, features, paths.cache) });
      } catch (err) {
        if (!(err instanceof VoiceswapError)) throw err;
      }
    }
  }
  return clips;
}

/** A speaker's ln-F0 statistics over the corpus; a corpus with (almost) no voicing is an error. */
function speakerPitch(corpus: SpeakerCorpus): PitchStats {
  const stats = pitchStats(corpus.utterances.map((u) => u.pitch), MIN_SELF_PITCH_FRAMES);
  if (!stats) throw new VoiceswapError(`${corpus.dir}: no voiced speech found (fewer than ${MIN_SELF_PITCH_FRAMES} frames with a pitch); is it speech?`);
  return stats;
}

/** What the export at the session's iteration carries besides the generators. */
function modelInfo(s: Session): VoiceModelInfo {
  return {
    features: s.run.features,
    speakers: { a: s.run.dirA, b: s.run.dirB },
    stats: { a: serializeStats(s.stats.a), b: serializeStats(s.stats.b) },
    pitch: s.pitch,
    voicing: s.voicing,
    ...(s.transport && { transport: serializeTransport(s.transport) }),
    iteration: s.iteration,
    trainedAt: new Date().toISOString(),
  };
}

/** The trainer's current generators seen as an inference model (no copy). */
function generatorsView(s: Session): VoiceModel {
  const { stats, pitch, voicing, transport } = s;
  return { dir: '(training)', config: s.run.model, info: modelInfo(s), stats, pitch, voicing, transport, generators: { a2b: s.trainer.gAB, b2a: s.trainer.gBA } };
}

function describeCorpus(c: SpeakerCorpus): string {
  return `${c.utterances.length} files, ${(c.seconds / 60).toFixed(1)} min`;
}
