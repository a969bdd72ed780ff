/**
 * Files per second of `voiceswap convert DIR --jobs N` for 1, 2 and N (= the number of
 * cores) worker threads: the CLI's own worker pool (src/cli/convert-pool.ts), each worker
 * with its own backend (auto: the native backend when built, else wasm) and its share of
 * the cores as intra-op threads. What is measured is the steady throughput of a large
 * folder: workers are started (backend, model) and given one untimed pass before the clock
 * starts (a fresh worker's first files run slower: JIT, kernel plans, and the worker's heap
 * growing to its working size, all page faults), and a pass is at least TASKS_PER_PASS
 * conversions (the input files repeated), so the last file, when one worker may be left
 * with nothing to do, is a small part of it. Each figure is the best of PASSES passes, the
 * passes of the worker counts taking turns.
 *
 *   node dist/bench/run.js jobs
 *
 * Input: samples/dev/alice/*.wav, else samples/demo/*.wav. Timings depend on what else the
 * machine is doing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvertPool } from '../src/cli/convert-pool.js';
import { defaultModelDir } from '../src/convert/shipped-model.js';
import { packageRoot } from '../src/util/package-root.js';
import { convertBenchInputs, type BenchResult } from './common.js';

const PASSES = 5;
const TASKS_PER_PASS = 60;


/** A started pool of `jobs` workers, warmed up by one untimed pass (JIT, kernel plans, memory growth). */
async function startPool(jobs: number, threads: number, files: string[], outDir: string): Promise<ConvertPool> {
  const pool = await ConvertPool.start(jobs, {
    backend: 'auto',
    threads,
    modelDir: defaultModelDir(),
    job: { direction: 'a2b', encoding: 'pcm16' },
  });
  await onePass(pool, files, outDir);
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

/** A measured configuration: `jobs` workers with `threads` intra-op threads each. */
interface Setting {
  jobs: number;
  threads: number;
  label: string;
}

export async function benchJobs(log: (line: string) => void = console.log): Promise<BenchResult[]> {
  const root = packageRoot() ?? '.';
  const inputs = convertBenchInputs(root);
  const files = Array.from({ length: Math.ceil(TASKS_PER_PASS / inputs.length) }, () => inputs).flat();
  const cores = availableParallelism();
  log(`input: ${inputs.length} files (${inputs[0]} ...) ${files.length / inputs.length} times a pass, shipped model a2b, ${cores} cores`);
  // What `convert --jobs N` runs (each worker gets cores/N threads), plus one worker held to
  // one thread: the per-core figure the workers' scaling is judged against.
  const settings: Setting[] = [...new Set([1, 2, cores])].map((jobs) => ({
    jobs,
    threads: Math.max(1, Math.floor(cores / jobs)),
    label: `--jobs ${jobs}${jobs === cores ? ' (= cores)' : ''}`,
  }));
  if (cores > 1) settings.push({ jobs: 1, threads: 1, label: '--jobs 1 --threads 1' });
  const outDir = mkdtempSync(join(tmpdir(), 'voiceswap-bench-jobs-'));
  const rates = new Map<Setting, number>();
  const pools = new Map<Setting, ConvertPool>();
  try {
    // All pools are started first (idle workers wait without using the cores); the passes
    // then take turns between settings, so a spell of other load does not fall on one only.
    for (const s of settings) pools.set(s, await startPool(s.jobs, s.threads, files, outDir));
    for (let pass = 0; pass < PASSES; pass++) {
      for (const s of settings) rates.set(s, Math.max(rates.get(s) ?? 0, await onePass(pools.get(s)!, files, outDir)));
    }
    for (const s of settings) log(`${s.label}: ${rates.get(s)!.toFixed(2)} files/s (${pools.get(s)!.backends[0]}), best of ${PASSES} passes`);
  } finally {
    for (const pool of pools.values()) await pool.close();
    rmSync(outDir, { recursive: true, force: true });
  }
  const rows: BenchResult[] = settings.map((s) => ({ name: `convert ${s.label}: throughput`, value: rates.get(s)!, unit: 'files/s' }));
  const [one, ...more] = settings;
  for (const s of more.filter((x) => x.jobs > 1)) {
    rows.push({ name: `convert ${s.label}: speed-up over --jobs 1`, value: rates.get(s)! / rates.get(one)!, unit: 'x' });
  }
  return rows;
}
