/**
 * Training speed against the PyTorch peer, interleaved: for each preset, ROUNDS rounds of
 * one PyTorch run (../shared/bench/torch_ref/cyclegan_vc2.py, the same networks, batch 1,
 * 64-frame crops, 2 threads) and one voiceswap run (benchTrain on the best backend here,
 * same shape), then the median of each side's per-run medians and their ratio. Taking
 * turns keeps a spell of other load on this shared machine from landing on one side only.
 *
 *   node dist/bench/run.js torch
 *   VOICESWAP_BENCH_PRESETS=small node dist/bench/run.js torch
 *
 * Needs Debian's python3 with torch and OpenBLAS (apt-get install python3-torch
 * libopenblas0-openmp) and ../shared beside the project; without them the section says so
 * and measures nothing. (On the reference BLAS PyTorch's small preset takes 0.62 s/it
 * instead of 0.21: not the peer to measure against.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { environmentWithoutAddonSettings } from '../src/backend/native/addon.js';
import { isPresetName, PRESET_SCALES, type PresetName } from '../src/model/presets.js';
import { benchTrain } from '../src/train/benchmark.js';
import { packageRoot } from '../src/util/package-root.js';
import { medianOf, type BenchResult } from './common.js';

const ROUNDS = 3;
const PYTHON = '/usr/bin/python3';
const THREADS = 2;
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

/** Iterations timed per run: enough for a stable median, few enough for the slow presets. */
function iterationsFor(preset: PresetName): number {
  return preset === 'tiny' || preset === 'small' ? 10 : 4;
}

/** The PyTorch script, or why it cannot run here. */
function torchScript(): { script: string } | { missing: string } {
  const script = resolve(packageRoot() ?? '.', '..', 'shared', 'bench', 'torch_ref', 'cyclegan_vc2.py');
  if (!existsSync(script)) return { missing: `${script} not found` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { missing: `${PYTHON} cannot import torch (apt-get install python3-torch)` };
  if (!existsSync(OPENBLAS)) return { missing: `${OPENBLAS} not found (apt-get install libopenblas0-openmp)` };
  return { script };
}

/** One PyTorch run: the median seconds per training iteration it reports. */
function torchRun(script: string, scale: number, iterations: number, dir: string): number {
  const out = join(dir, 'torch.json');
  const args = [script, '--scales', String(scale), '--batch', '1', '--threads', String(THREADS), '--frames', '64', '--blas', 'openblas-openmp'];
  args.push('--iters', String(iterations), '--warmup', '3', '--no-infer', '--no-matmul', '--wait-idle', '10', '--out', out);
  // PyTorch runs with the environment the user gave us, not with the OpenMP policy our addon set.
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 900_000, env: environmentWithoutAddonSettings() });
  if (r.status !== 0) throw new Error(`PyTorch reference failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  const json = JSON.parse(readFileSync(out, 'utf8')) as { per_threads: Record<string, { train: Array<{ median_s: number }> }> };
  const train = json.per_threads[String(THREADS)]?.train?.[0];
  if (train === undefined) throw new Error(`PyTorch reference wrote no training time to ${out}`);
  return train.median_s;
}

export async function benchCompareTorch(log: (line: string) => void = console.log): Promise<BenchResult[]> {
  const found = torchScript();
  if ('missing' in found) {
    log(`skipped: ${found.missing}`);
    return [];
  }
  const presets = (process.env.VOICESWAP_BENCH_PRESETS ?? 'tiny,small,base').split(',').filter(isPresetName);
  const backend = await initBackend('auto', { threads: Math.min(THREADS, availableParallelism()) });
  log(`voiceswap: ${backend.name} - ${backend.description}; PyTorch: ${found.script}, ${THREADS} threads, OpenBLAS; batch 1, 64 frames, ${ROUNDS} rounds each`);
  const dir = mkdtempSync(join(tmpdir(), 'voiceswap-bench-torch-'));
  const rows: BenchResult[] = [];
  try {
    for (const preset of presets) {
      const iterations = iterationsFor(preset);
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        theirs.push(torchRun(found.script, PRESET_SCALES[preset], iterations, dir));
        ours.push((await benchTrain({ preset, batch: 1, frames: 64, iterations })).sec_per_iter);
        log(`${preset} round ${round + 1}: voiceswap ${ours[round].toFixed(3)} s/it, PyTorch ${theirs[round].toFixed(3)} s/it`);
      }
      const [a, b] = [ours, theirs].map((runs) => medianOf([...runs].sort((x, y) => x - y))); // ROUNDS is odd
      log(`${preset}: voiceswap ${a.toFixed(3)} s/it, PyTorch ${b.toFixed(3)} s/it, ratio ${(a / b).toFixed(2)}`);
      rows.push(
        { name: `train ${preset} vs PyTorch: voiceswap (median of ${ROUNDS})`, value: a, unit: 's per iteration' },
        { name: `train ${preset} vs PyTorch: PyTorch (median of ${ROUNDS})`, value: b, unit: 's per iteration' },
        { name: `train ${preset} vs PyTorch: ratio`, value: a / b, unit: 'x (below 1: faster)' },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
