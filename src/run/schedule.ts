/**
 * Learning-rate and loss-weight schedules for CycleGAN-VC2 training.
 *
 * The paper trains 2e5 iterations: constant learning rates for the first half, then a
 * linear decay to zero over the second half; the identity loss (weight 5) is used for
 * the first 1e4 iterations only. Our runs are usually far shorter, so both are given as
 * parts of the run:
 *  - the learning rate is constant until `decayStart` iterations, then falls linearly to
 *    exactly zero at iteration `total` (the update of the last iteration uses
 *    lr * 1/(total - decayStart), never a negative or stale rate);
 *  - the identity loss keeps its weight until `identityUntil` iterations, then is 0.
 */
export interface Schedule {
  /** Total iterations of the run. */
  total: number;
  /** Iteration (0-based) from which the learning rate decays; `total` = never. */
  decayStart: number;
  /** Identity-loss weight applies to iterations [0, identityUntil). */
  identityUntil: number;
  lrG: number;
  lrD: number;
  cycleWeight: number;
  identityWeight: number;
  /** Std of the noise added to converted crops before the cycle mapping (0: none; see CycleNoise). */
  cycleNoise: number;
}

/** The default learning rates, loss weights and spans of every run (the CLI's --help reads them here). */
export const SCHEDULE_DEFAULTS = Object.freeze({
  lrG: 2e-4,
  lrD: 1e-4,
  cycleWeight: 10,
  identityWeight: 5,
  cycleNoise: 0,
  /** The identity loss stops after this many iterations at most (and never past half the run). */
  identityUntilMax: 10000,
});

/**
 * The default schedule for a run of `total` iterations: decay over the second half (as
 * in the paper), identity loss for the first 10k iterations at most and never past half
 * the run (the paper's 10k of 200k is 5%; on short runs 5% is too little for the
 * generators to learn to keep the linguistic content, so we keep it for longer).
 */
export function defaultSchedule(total: number): Schedule {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`total iterations must be a positive integer, got ${total}`);
  return {
    total,
    decayStart: Math.floor(total / 2),
    identityUntil: Math.min(SCHEDULE_DEFAULTS.identityUntilMax, Math.floor(total / 2)),
    lrG: SCHEDULE_DEFAULTS.lrG,
    lrD: SCHEDULE_DEFAULTS.lrD,
    cycleWeight: SCHEDULE_DEFAULTS.cycleWeight,
    identityWeight: SCHEDULE_DEFAULTS.identityWeight,
    cycleNoise: SCHEDULE_DEFAULTS.cycleNoise,
  };
}

/** Multiplier of the base learning rates for the update made at 0-based `iteration`. */
export function lrFactor(s: Schedule, iteration: number): number {
  if (iteration < s.decayStart) return 1;
  const span = s.total - s.decayStart;
  // Iteration decayStart uses 1, the last iteration (total - 1) uses 1/span: zero is reached at `total`.
  return Math.max(0, (s.total - iteration) / span);
}

export interface StepSettings {
  lrG: number;
  lrD: number;
  cycleWeight: number;
  identityWeight: number;
  cycleNoise: number;
}

/** Everything that changes with the iteration, for the update made at 0-based `iteration`. */
export function settingsAt(s: Schedule, iteration: number): StepSettings {
  const f = lrFactor(s, iteration);
  return {
    lrG: s.lrG * f,
    lrD: s.lrD * f,
    cycleWeight: s.cycleWeight,
    identityWeight: iteration < s.identityUntil ? s.identityWeight : 0,
    cycleNoise: s.cycleNoise,
  };
}
