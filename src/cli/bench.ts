import { Command } from 'commander';
import type { BackendChoice } from '../backend/choices.js';
import { DEFAULT_PRESET, parsePreset, PRESET_NAMES } from '../model/presets.js';
import { backendOptions, startBackend } from './backend-option.js';
import { intOption } from './options.js';

interface BenchTrainCliOptions {
  preset: string;
  batch: number;
  iterations: number;
  frames: number;
  warmup: number;
  json?: boolean;
  backend: BackendChoice;
  threads?: number;
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('Measure what this machine can do');
  const cmd = bench
    .command('train')
    .description('Seconds per CycleGAN-VC2 training iteration (random data, after warm-up)')
    .option('--preset <name>', `model size: ${PRESET_NAMES.join(', ')}`, DEFAULT_PRESET)
    .option('--batch <n>', 'crops per speaker per iteration', intOption('--batch', 1, 256), 1)
    .option('--iterations <n>', 'timed iterations', intOption('--iterations', 1, 100000), 10)
    .option('--frames <n>', 'crop length in frames (multiple of 4)', intOption('--frames', 8, 4096), 64)
    .option('--warmup <n>', 'untimed iterations first', intOption('--warmup', 0, 1000), 3)
    .option('--json', 'print one JSON object on one line');
  for (const o of backendOptions()) cmd.addOption(o);
  cmd
    .addHelpText(
      'after',
      `
Prints the preset, backend, parameters of one generator and one discriminator, and the
median seconds per iteration (with --json: preset, batch, backend, params_g, params_d,
sec_per_iter and more). PyTorch 1.13 on the same 2-core machine, batch 1, 64 frames:
tiny 0.10-0.16 s, small 0.20-0.27 s, base 0.58-0.79 s (node dist/bench/run.js torch), paper
2.6-3.3 s.

Examples:
  $ voiceswap bench train
  $ voiceswap bench train --preset tiny --iterations 20 --json
  $ voiceswap bench train --preset base --backend wasm --batch 4`,
    )
    .action(async (opts: BenchTrainCliOptions) => {
      const preset = parsePreset(opts.preset);
      const backend = await startBackend(opts, Boolean(opts.json));
      const { benchTrain } = await import('../train/benchmark.js');
      const log = opts.json ? undefined : (line: string) => process.stderr.write(line + '\n');
      const r = await benchTrain({ preset, batch: opts.batch, iterations: opts.iterations, frames: opts.frames, warmup: opts.warmup, log });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...r, backend: backend.name, backend_description: backend.description }) + '\n');
        return;
      }
      process.stdout.write(
        [
          `preset        ${r.preset} (scale ${r.scale})`,
          `backend       ${backend.name}: ${backend.description}`,
          `batch/frames  ${r.batch} x ${r.frames}`,
          `parameters    G ${r.params_g.toLocaleString('en')}  D ${r.params_d.toLocaleString('en')}`,
          `s/iteration   ${r.sec_per_iter.toFixed(3)} (median of ${r.iterations}, min ${r.sec_per_iter_min.toFixed(3)})`,
          `10k iters     ${r.hours_per_10k_iter.toFixed(2)} h`,
          `throughput    ${r.gflops.toFixed(1)} GFLOP/s (conv FLOPs, ${r.gflop_per_iter.toFixed(1)} GFLOP/iteration)`,
          `memory        peak RSS ${r.peak_rss_mb.toFixed(0)} MiB, tensors ${r.tensor_mb.toFixed(0)} MiB`,
        ].join('\n') + '\n',
      );
    });
}
