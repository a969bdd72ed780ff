/**
 * `npm run bench`: every benchmark, one table at the end.
 *   node dist/bench/run.js                 all sections
 *   node dist/bench/run.js frontend train  only those sections
 * Timings depend on what else the machine is doing: run it on an idle machine.
 */
import type { BenchResult } from './common.js';

type Section = () => Promise<BenchResult[]>;

const SECTIONS: Record<string, Section> = {
  frontend: async () => (await import('./frontend.js')).benchFrontend(),
  resample: async () => (await import('./resample.js')).benchResample(),
  griffinlim: async () => (await import('./griffinlim.js')).benchGriffinLim(),
  convert: async () => (await import('./convert.js')).benchConvert(),
  jobs: async () => (await import('./jobs.js')).benchJobs(),
  kernels: async () => (await import('./kernels.js')).benchKernels(),
  native: async () => (await import('./native.js')).benchNative(),
  train: async () => (await import('./train-presets.js')).benchTrainPresets(),
  profile: async () => (await import('./train-profile.js')).benchTrainProfile(),
  torch: async () => (await import('./compare-torch.js')).benchCompareTorch(),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !(w in SECTIONS));
  if (unknown.length > 0) {
    console.error(`unknown section(s) ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const names = wanted.length > 0 ? wanted : Object.keys(SECTIONS);
  const rows: BenchResult[] = [];
  for (const name of names) {
    console.log(`\n== ${name} ==`);
    rows.push(...(await SECTIONS[name]()));
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log('\n== summary ==');
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${formatValue(r.value).padStart(10)}  ${r.unit}`);
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

await main();
