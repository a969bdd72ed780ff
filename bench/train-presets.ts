/**
 * Training speed per preset on the best backend here (`--backend auto` order), batch 1,
 * 64-frame crops: seconds per iteration, hours per 10k iterations, conv GFLOP/s, memory.
 * The PyTorch peer on the same kind of machine (2 threads, batch 1, 64 frames; see
 * ../shared/bench/torch_ref/README.md): tiny 0.147 s, small 0.288 s, base 0.741 s.
 * Set VOICESWAP_BENCH_PRESETS=tiny,small,base,paper and VOICESWAP_BENCH_BACKEND to choose.
 */
import { initBackend, isBackendChoice } from '../src/backend/index.js';
import { isPresetName, type PresetName } from '../src/model/presets.js';
import { benchTrain } from '../src/train/benchmark.js';
import type { BenchResult } from './common.js';

const TORCH_2_THREADS_S: Partial<Record<PresetName, number>> = { tiny: 0.147, small: 0.288, base: 0.741, paper: 3.511 };

export async function benchTrainPresets(): Promise<BenchResult[]> {
  const presets = (process.env.VOICESWAP_BENCH_PRESETS ?? 'tiny,small,base').split(',').filter(isPresetName);
  const backendChoice = process.env.VOICESWAP_BENCH_BACKEND ?? 'auto';
  if (!isBackendChoice(backendChoice)) throw new Error(`VOICESWAP_BENCH_BACKEND=${backendChoice} is not a backend`);
  const backend = await initBackend(backendChoice, { log: (m) => console.log(m) });
  const results: BenchResult[] = [];
  for (const preset of presets) {
    const iterations = preset === 'tiny' || preset === 'small' ? 10 : 3;
    const r = await benchTrain({ preset, batch: 1, frames: 64, iterations });
    const torch = TORCH_2_THREADS_S[preset];
    console.log(
      `${preset}: ${r.sec_per_iter.toFixed(3)} s/iter (${r.hours_per_10k_iter.toFixed(2)} h per 10k), ${r.gflops.toFixed(1)} GFLOP/s, ` +
        `G ${r.params_g} / D ${r.params_d} params, peak RSS ${r.peak_rss_mb.toFixed(0)} MiB` +
        (torch ? `, ${(r.sec_per_iter / torch).toFixed(2)}x PyTorch's ${torch} s` : ''),
    );
    results.push({ name: `train ${preset} (${backend.name}, batch 1, 64 frames)`, value: r.sec_per_iter, unit: 's per iteration' });
    results.push({ name: `train ${preset}: peak RSS`, value: r.peak_rss_mb, unit: 'MiB' });
  }
  return results;
}
