/**
 * Files per second of `voiceswap convert DIR --jobs N` for 1, 2 and N (= the number of
 * cores) worker threads: the CLI's own worker pool (src/cli/convert-pool.ts), each worker
 * with its own backend (auto: the native backend when built, else wasm) and its share of
 * the cores as intra-op threads. Workers are started (backend, model) before the clock
 * starts; each figure is the best of PASSES passes over the same folder, the passes of the
 * worker counts taking turns.
 *
 *   node dist/bench/run.js jobs
 *
 * Input: samples/dev/alice/*.wav, else samples/demo/*.wav. Timings depend on what else the
 * machine is doing.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvertPool } from '../src/cli/convert-pool.js';
import { defaultModelDir } from '../src/convert/shipped-model.js';
import { packageRoot } from '../src/util/package-root.js';
import type { BenchResult } from './common.js';

const INPUT_DIRS = ['samples/dev/alice', 'samples/demo'];
const PASSES = 3;

function inputFiles(root: string): string[] {
  for (const dir of INPUT_DIRS.map((d) => join(root, d))) {
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.wav')).sort();
    if (files.length > 0) return files.map((f) => join(dir, f));
  }
  throw new Error(`no input WAVs in ${INPUT_DIRS.join(' or ')} under ${root}`);
}

/** A started pool of `jobs` workers, warmed up (JIT, kernel plans, memory growth). */
async function startPool(jobs: number, files: string[], outDir: string): Promise<ConvertPool> {
  const pool = await ConvertPool.start(jobs, {
    backend: 'auto',
    threads: Math.max(1, Math.floor(availableParallelism() / jobs)),
    modelDir: defaultModelDir(),
    job: { direction: 'a2b', encoding: 'pcm16' },
  });
  await pool.run(tasksFor(jobs, files, outDir).slice(0, jobs), () => {});
  return pool;
}

function tasksFor(jobs: number, files: string[], outDir: string): { input: string; output: string }[] {
  return files.map((input, i) => ({ input, output: join(outDir, `${jobs}-${i}.wav`) }));
}

/** Files per second of one pass over all files. */
async function onePass(pool: ConvertPool, files: string[], outDir: string): Promise<number> {
  const start = performance.now();
  let failed = 0;
  await pool.run(tasksFor(pool.size, files, outDir), (o) => {
    if (o.error !== undefined) failed++;
  });
  if (failed > 0) throw new Error(`${failed} file(s) failed to convert`);
  return files.length / ((performance.now() - start) / 1000);
}

export async function benchJobs(log: (line: string) => void = console.log): Promise<BenchResult[]> {
  const root = packageRoot() ?? '.';
  const files = inputFiles(root);
  const cores = availableParallelism();
  log(`input: ${files.length} files (${files[0]} ...), shipped model a2b, ${cores} cores`);
  const counts = [...new Set([1, 2, cores])];
  const outDir = mkdtempSync(join(tmpdir(), 'voiceswap-bench-jobs-'));
  const rows: BenchResult[] = [];
  const rates = new Map<number, number>();
  try {
    // All pools are started first (idle workers wait without using the cores); the passes
    // then alternate between worker counts, so a spell of other load does not fall on one count only.
    const pools = new Map<number, ConvertPool>();
    try {
      for (const jobs of counts) pools.set(jobs, await startPool(jobs, files, outDir));
      for (let pass = 0; pass < PASSES; pass++) {
        for (const jobs of counts) rates.set(jobs, Math.max(rates.get(jobs) ?? 0, await onePass(pools.get(jobs)!, files, outDir)));
      }
    } finally {
      for (const pool of pools.values()) await pool.close();
    }
    for (const jobs of counts) log(`${jobs} worker${jobs === 1 ? '' : 's'} (${pools.get(jobs)!.backends[0]}): ${rates.get(jobs)!.toFixed(2)} files/s, best of ${PASSES} passes`);
    for (const jobs of counts) {
      rows.push({ name: `convert --jobs ${jobs}${jobs === cores ? ' (= cores)' : ''}: throughput`, value: rates.get(jobs)!, unit: 'files/s' });
    }
    for (const jobs of counts.filter((j) => j > 1)) {
      rows.push({ name: `convert --jobs ${jobs}: speed-up over --jobs 1`, value: rates.get(jobs)! / rates.get(1)!, unit: 'x' });
    }
    return rows;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
