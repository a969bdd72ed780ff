import { join } from 'node:path';

/**
 * The layout of a training run directory (`--out`):
 *
 *   run.json            the run's settings (data folders, preset, features, schedule, seed)
 *   cache/              log-mel features of every training file, keyed by content + features
 *   checkpoints/iter-N/ full training state (all networks, both optimisers, RNG, statistics)
 *   export/iter-N/      inference model: generators + features + statistics (for `convert`)
 *   samples/iter-N/     held-out clips converted both ways: WAVs and one PNG per clip
 *   losses.jsonl        one JSON line per iteration
 *   losses.png          the loss curves, redrawn at every checkpoint
 */
export function runPaths(out: string) {
  return {
    root: out,
    runJson: join(out, 'run.json'),
    cache: join(out, 'cache'),
    checkpoints: join(out, 'checkpoints'),
    exports: join(out, 'export'),
    samples: join(out, 'samples'),
    losses: join(out, 'losses.jsonl'),
    lossPlot: join(out, 'losses.png'),
  };
}

export type RunPaths = ReturnType<typeof runPaths>;

/** `iter-00001234`: zero-padded so that names sort by iteration. */
export function iterationDirName(iteration: number): string {
  return `iter-${String(iteration).padStart(8, '0')}`;
}

export function parseIterationDirName(name: string): number | null {
  const m = /^iter-(\d{8,})$/.exec(name);
  return m ? Number(m[1]) : null;
}
