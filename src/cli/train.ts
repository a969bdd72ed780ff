import { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { BackendChoice } from '../backend/choices.js';
import { VoiceswapError } from '../errors.js';
import {
  customConfig,
  DEFAULT_DOMAIN,
  DEFAULT_INPUT_SKIP,
  DEFAULT_N_MELS,
  DEFAULT_RES_BLOCKS,
  DEFAULT_PRESET,
  GENERATOR_DOMAINS,
  INPUT_SKIPS,
  type GeneratorDomain,
  type InputSkip,
  type ModelConfig,
  parsePreset,
  presetConfig,
  PRESET_NAMES,
  upgradeModelConfig,
} from '../model/presets.js';
import { readRunSettings } from '../run/run-config.js';
import { runPaths } from '../run/run-dir.js';
import { SCHEDULE_DEFAULTS } from '../run/schedule.js';
import type { LossValues } from '../train/step.js';
import { backendOptions, startBackend } from './backend-option.js';
import { choiceOption, intOption, numberOption } from './options.js';
import { formatDuration, Progress } from './progress.js';

interface TrainCliOptions {
  a?: string;
  b?: string;
  out: string;
  preset: string;
  scale?: number;
  inputSkip: InputSkip;
  domain: GeneratorDomain;
  cycleWeight?: number;
  identityWeight?: number;
  identityUntil?: number;
  cycleNoise?: number;
  iterations: number;
  batch: number;
  frames: number;
  seed: number;
  resume?: boolean;
  sampleEvery: number;
  checkpointEvery: number;
  keep: number;
  backend: BackendChoice;
  threads?: number;
}

export const DEFAULT_ITERATIONS = 6000;

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('Train a voice conversion model between two speakers from two folders of recordings')
    .option('--a <dir>', 'recordings of speaker A (every .wav under it, recursively); required unless --resume')
    .option('--b <dir>', 'recordings of speaker B (non-parallel: they need not say the same things); required unless --resume')
    .option('--out <dir>', 'run directory: checkpoints, exported models, samples, losses', 'runs/default')
    .option('--preset <name>', `model size: ${PRESET_NAMES.join(', ')}`, DEFAULT_PRESET)
    .option('--scale <x>', 'custom width scale instead of a preset (experiments, tests)', numberOption('--scale', 1 / 256, 4))
    .option('--input-skip <kind>', "generator skip path: none (CycleGAN-VC2), input, envelope, transport (see README)", choiceOption('--input-skip', INPUT_SKIPS), DEFAULT_INPUT_SKIP)
    .option('--domain <d>', "what the generators map: envelope (pitch tracked and rebuilt outside the network) or log-mel (the network draws the harmonics)", choiceOption('--domain', GENERATOR_DOMAINS), DEFAULT_DOMAIN)
    .option('--cycle-weight <w>', `weight of the cycle-consistency L1 loss (default ${SCHEDULE_DEFAULTS.cycleWeight})`, numberOption('--cycle-weight', 0, 1000))
    .option('--identity-weight <w>', `weight of the identity-mapping L1 loss (default ${SCHEDULE_DEFAULTS.identityWeight})`, numberOption('--identity-weight', 0, 1000))
    .option('--identity-until <n>', `iterations that use the identity loss (default: min(${SCHEDULE_DEFAULTS.identityUntilMax}, half the run))`, intOption('--identity-until', 0))
    .option('--cycle-noise <std>', `noise added to converted crops before the cycle mapping, against hidden-detail cheating (default ${SCHEDULE_DEFAULTS.cycleNoise})`, numberOption('--cycle-noise', 0, 10))
    .option('--iterations <n>', 'training iterations (the whole run, also when resuming)', intOption('--iterations', 1), DEFAULT_ITERATIONS)
    .option('--batch <n>', 'crops per speaker per iteration', intOption('--batch', 1, 256), 1)
    .option('--frames <n>', 'crop length in frames (multiple of 4; 64 = 0.74 s)', intOption('--frames', 8, 4096), 64)
    .option('--seed <n>', 'random seed (initial weights, crops)', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--resume', "continue the run in --out from its newest good checkpoint, with the settings in its run.json unless given again")
    .option('--sample-every <n>', 'convert the held-out clips every N iterations', intOption('--sample-every', 1), 500)
    .option('--checkpoint-every <n>', 'checkpoint (and export the model) every N iterations', intOption('--checkpoint-every', 1), 500)
    .option('--keep <n>', 'checkpoints and exports kept on disk', intOption('--keep', 1, 1000), 3);
  for (const o of backendOptions()) cmd.addOption(o);
  cmd
    .addHelpText(
      'after',
      `
Data: two folders of WAV recordings (any format voiceswap reads), at least 10 s per
speaker, 3-5 minutes or more recommended. Two clips per speaker are held out for the
samples written every --sample-every iterations (converted and reconstructed WAVs and
a spectrogram PNG under OUT/samples/).

Presets (CycleGAN-VC2 widths x scale), seconds per iteration measured on a 2-core
x86-64 machine with --backend native (wasm is 5-9x slower), and what a default
6000-iteration run costs there:
  tiny  x1/8  0.05 s   ~15 min   quick checks of data and settings
  small x1/4  0.12 s   ~25 min   the CPU default (the shipped model is such a run)
  base  x1/2  0.42 s   ~1.5 h
  paper x1    2.1 s    ~3.5 h    the published size, for GPUs
The README has the measured dev-set quality of the shipped small model.

Ctrl-C finishes the current iteration, writes a checkpoint and exits; continue with
voiceswap train --out RUN --resume: every setting comes from RUN/run.json unless given
again (it says what changes; the model size, data, batch, frames and seed cannot).

Examples:
  $ voiceswap train --a samples/alice --b samples/bob --out runs/alice-bob
  $ voiceswap train --out runs/alice-bob --resume
  $ voiceswap train --out runs/alice-bob --resume --iterations 8000
  $ voiceswap train --a alice/ --b bob/ --preset tiny --iterations 500 --out runs/quick`,
    )
    .action((opts: TrainCliOptions, command: Command) => runTrain(withSavedSettings(opts, command)));
}

/**
 * With --resume: every run setting not given on the command line comes from the run's
 * run.json (the library then says which given ones change it). Without one, the command
 * line as it is (the library says there is nothing to resume).
 */
function withSavedSettings(opts: TrainCliOptions, command: Command): TrainCliOptions & { model?: ModelConfig } {
  if (!opts.resume || !existsSync(runPaths(opts.out).runJson)) return opts;
  const saved = readRunSettings(opts.out);
  const given = (name: string) => command.getOptionValueSource(name) === 'cli';
  // A model option given again is checked against the checkpoint by train(); the rest stays as saved.
  const savedModel = upgradeModelConfig(saved.model) as ModelConfig;
  const inputSkip = given('inputSkip') ? opts.inputSkip : savedModel.inputSkip;
  const domain = given('domain') ? opts.domain : savedModel.domain;
  const { nMels, nResBlocks } = savedModel;
  const model = given('scale')
    ? customConfig(opts.scale!, nMels, nResBlocks, inputSkip, domain)
    : given('preset')
      ? presetConfig(parsePreset(opts.preset), nMels, inputSkip, domain)
      : { ...savedModel, inputSkip, domain };
  return {
    ...opts,
    a: opts.a ?? saved.dirA,
    b: opts.b ?? saved.dirB,
    model,
    iterations: given('iterations') ? opts.iterations : saved.schedule.total,
    batch: given('batch') ? opts.batch : saved.batch,
    frames: given('frames') ? opts.frames : saved.frames,
    seed: given('seed') ? opts.seed : saved.seed,
    sampleEvery: given('sampleEvery') ? opts.sampleEvery : (saved.session?.sampleEvery ?? opts.sampleEvery),
    checkpointEvery: given('checkpointEvery') ? opts.checkpointEvery : (saved.session?.checkpointEvery ?? opts.checkpointEvery),
    keep: given('keep') ? opts.keep : (saved.session?.keep ?? opts.keep),
  };
}

/** A path as one shell word (for the lines that tell what to type next). */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function runTrain(opts: TrainCliOptions & { model?: ModelConfig }): Promise<void> {
  if (opts.a === undefined || opts.b === undefined) {
    throw new VoiceswapError(`--a and --b are required${opts.resume ? ` (--resume found no run.json in ${opts.out} to take them from)` : ' (with --resume they come from the run)'}`);
  }
  const model = opts.model ?? (opts.scale !== undefined ? customConfig(opts.scale, DEFAULT_N_MELS, DEFAULT_RES_BLOCKS, opts.inputSkip, opts.domain) : presetConfig(parsePreset(opts.preset), DEFAULT_N_MELS, opts.inputSkip, opts.domain));
  await startBackend(opts);
  const { train } = await import('../train/train.js');
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130); // a second Ctrl-C: give up at once (checkpoints are atomic)
    stopRequested = true;
    process.stderr.write('\ninterrupt: finishing this iteration and writing a checkpoint (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let progress: Progress | undefined;
  try {
    const result = await train({
      dirA: opts.a,
      dirB: opts.b,
      out: opts.out,
      model,
      iterations: opts.iterations,
      batch: opts.batch,
      frames: opts.frames,
      seed: opts.seed,
      resume: Boolean(opts.resume),
      sampleEvery: opts.sampleEvery,
      checkpointEvery: opts.checkpointEvery,
      keep: opts.keep,
      schedule: {
        ...(opts.cycleWeight !== undefined && { cycleWeight: opts.cycleWeight }),
        ...(opts.identityWeight !== undefined && { identityWeight: opts.identityWeight }),
        ...(opts.identityUntil !== undefined && { identityUntil: opts.identityUntil }),
        ...(opts.cycleNoise !== undefined && { cycleNoise: opts.cycleNoise }),
      },
      onIteration: (iteration, total, losses) => {
        progress ??= new Progress({ label: 'train', total, plainEvery: 30, initial: iteration - 1 });
        progress.update(iteration, formatLosses(losses));
      },
      log: (m) => {
        if (process.stderr.isTTY && progress) process.stderr.write('\r\x1b[K');
        process.stderr.write(m + '\n');
      },
      shouldStop: () => stopRequested,
    });
    progress?.finish();
    if (result.interrupted) {
      process.stderr.write(
        `stopped at iteration ${result.iteration} of ${result.total}; checkpoint ${result.checkpointDir}\n` +
          `continue with: voiceswap train --out ${shellWord(opts.out)} --resume   (every setting comes from ${shellWord(runPaths(opts.out).runJson)})\n`,
      );
      process.exitCode = 130;
      return;
    }
    process.stderr.write(`done: ${result.iteration} iterations in ${formatDuration(result.seconds)}; model ${result.exportDir}\n`);
    process.stderr.write(`convert with: voiceswap convert INPUT.wav --model ${result.exportDir}\n`);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function formatLosses(l: LossValues): string {
  const id = l.identity === null ? '' : ` id ${l.identity.toFixed(3)}`;
  return `G ${l.gAdv.toFixed(3)} cyc ${l.cycle.toFixed(3)}${id} D_A ${l.dA.toFixed(3)} D_B ${l.dB.toFixed(3)}`;
}
