import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import { firstLine } from '../candidate.js';

/**
 * The compiled native kernel addon (native/, built by scripts/build-native.mjs at install
 * time when oneDNN and a C++ compiler are present). Every kernel reads its inputs from and
 * writes its output into Float32Arrays the caller owns: the cpu backend's own buffers.
 */
export interface NativeAddon {
  /**
   * Whether the addon computes a pass (0 forward, 1 input gradient, 2 filter gradient) of
   * a convolution; false where oneDNN has no kernel that is safe under signals for it.
   */
  conv2dSupported(pass: 0 | 1 | 2, shape: Int32Array): boolean;
  /**
   * shape: the 17 ints of convShapeInts(); y = conv(x, filter), plus bias[outC] at every position when given.
   * filterKey: 0, or a key naming this filter's unchanging contents, under which its
   * conversion to oneDNN's layout is kept for later passes (filter-keys.ts).
   */
  conv2dForward(shape: Int32Array, x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array, filterKey: number): void;
  /** dx = gradient of the conv with respect to its input, given dy; filterKey as for conv2dForward. */
  conv2dBackwardData(shape: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array, filterKey: number): void;
  /** Drops the converted copies kept under a filter key (0: under every key). */
  forgetFilter(filterKey: number): void;
  /** Filters converted to oneDNN's layout by forward and input-gradient passes so far, cached or not (after queued work has run). */
  filterConversions(): number;
  /** Filter keys with converted copies kept (each forgotten when its data is freed), after queued work has run. */
  keptFilters(): number;
  /** dw = gradient of the conv with respect to its filter, given x and dy. */
  conv2dBackwardWeights(shape: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  /** shape: [batchA, batchB, m, n, k, transposeA, transposeB]; c[batch, m, n] = op(a) op(b). */
  batchMatMul(shape: Int32Array, a: Float32Array, b: Float32Array, c: Float32Array): void;
  /** shapes: [rank, out..., a..., b...] (a and b padded to rank); out = a op b, broadcast. */
  binary(op: number, shapes: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  /** tfjs's Step: out = 1 where x > 0, alpha elsewhere, NaN where x is NaN. */
  step(alpha: number, x: Float32Array, out: Float32Array): void;
  /** shapes: [rank, out..., x...] (x padded to rank, 1 where repeated); out = x repeated. */
  broadcast(shapes: Int32Array, x: Float32Array, out: Float32Array): void;
  /** shapeAndFlags: [rank, shape..., reduced (0/1)...]; mean: 1 divides by the reduced count. */
  reduceSum(shapeAndFlags: Int32Array, mean: number, x: Float32Array, out: Float32Array): void;
  /** shapeAndPerm: [rank, shape..., perm...]. */
  transpose(shapeAndPerm: Int32Array, x: Float32Array, out: Float32Array): void;
  /** Each part is `rows` rows; out's rows are the parts' rows side by side. */
  concat(parts: Float32Array[], rows: number, out: Float32Array): void;
  /** The inverse of concat. */
  split(x: Float32Array, rows: number, parts: Float32Array[]): void;
  /** x: rows of 2 * channels values; out[r, k] = x[r, k] * sigmoid(x[r, channels + k]). */
  glu(channels: number, x: Float32Array, out: Float32Array): void;
  /** The gradient of glu: dx from dy. */
  gluGrad(channels: number, dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** shape [N, S, C]; y = instance norm of x (see src/backend/fused-instance-norm.ts), mean and rstd [N, C]. */
  instanceNorm(shape: Int32Array, eps: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** The gradients of instanceNorm given dy. */
  instanceNormGrad(
    shape: Int32Array,
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
  /** shape [N, S, 2C]; out [N, S, C] = GLU of the instance norm of x (src/backend/fused-instance-norm.ts), mean and rstd [N, 2C]. */
  instanceNormGlu(shape: Int32Array, eps: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** The gradients of instanceNormGlu given dy [N, S, C]. */
  instanceNormGluGrad(
    shape: Int32Array,
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
  /**
   * The residual block (src/backend/fused-residual.ts). shape: [N, H, W, C, kH, kW, padTop,
   * padBottom, padLeft, padRight]; key1, key2: the two filters' keys (as conv2dForward's);
   * writes y and the workspace (residualWorkspaceSize floats, native/src/residual.h).
   */
  residualBlock(
    shape: Int32Array,
    eps: number,
    key1: number,
    key2: number,
    x: Float32Array,
    w1: Float32Array,
    b1: Float32Array,
    g1: Float32Array,
    be1: Float32Array,
    w2: Float32Array,
    b2: Float32Array,
    g2: Float32Array,
    be2: Float32Array,
    y: Float32Array,
    workspace: Float32Array,
  ): void;
  /** The residual block's gradients given dy: dx, then those of w1, b1, g1, be1, w2, b2, g2, be2. */
  residualBlockGrad(
    shape: Int32Array,
    key1: number,
    key2: number,
    dy: Float32Array,
    x: Float32Array,
    w1: Float32Array,
    g1: Float32Array,
    be1: Float32Array,
    w2: Float32Array,
    g2: Float32Array,
    workspace: Float32Array,
    dx: Float32Array,
    dw1: Float32Array,
    db1: Float32Array,
    dg1: Float32Array,
    dbe1: Float32Array,
    dw2: Float32Array,
    db2: Float32Array,
    dg2: Float32Array,
    dbe2: Float32Array,
  ): void;
  /** Whether the addon runs every convolution pass of this residual block (shape as residualBlock's). */
  residualSupported(shape: Int32Array): boolean;
  /** The floats in residualBlock's workspace for this shape. */
  residualWorkspaceSize(shape: Int32Array): number;
  /**
   * One Adam update of every tensor (src/backend/fused-adam.ts); the lists run in
   * parallel, each output as long as its input. step: [beta1, beta2, eps, stepSize,
   * sqrtBiasCorrection2].
   */
  adam(
    params: Float32Array[],
    m: Float32Array[],
    v: Float32Array[],
    grads: Float32Array[],
    paramsOut: Float32Array[],
    mOut: Float32Array[],
    vOut: Float32Array[],
    step: Float32Array,
  ): void;
  /**
   * Every kernel call above returns once its work is queued (native/src/executor.h): the
   * addon's worker threads run it when the calls writing its inputs have run. sync() waits
   * until every queued call has run, so that their outputs may be read; it throws the first
   * error among them. (The other functions throw such an error too, at their next call.)
   */
  sync(): void;
  /**
   * Thread-milliseconds the worker threads have spent running calls so far, by the name
   * of the function above that queued them (a call's time once per thread it ran on).
   */
  workTimes(): Record<string, number>;
  /** Whether queued calls still read or write this buffer (by its first element). */
  busy(buffer: Float32Array): boolean;
  /**
   * Waits for queued work; later calls run on this many worker threads, each call on one
   * of them or, alone, on all (native/src/executor.h).
   */
  setThreads(threads: number): void;
  threads(): number;
  /**
   * The instruction set of the addon's own convolution kernels (native/src/thin_conv.cc):
   * 2 AVX-512, 1 AVX2 + FMA, 0 baseline x86-64; the best the CPU has unless set lower (the
   * tests run each set's code on one machine). A level above the CPU's best is an error.
   */
  setVectorLevel(level: number): void;
  vectorLevel(): number;
  /** The library doing the work, e.g. "oneDNN 2.6.3 (OpenMP)". */
  library(): string;
}

export type AddonLoad = { ok: true; addon: NativeAddon } | { ok: false; reason: string };

export const ADDON_FILE = 'voiceswap_native.node';

/** Where the build script puts the addon: <package root>/native/build/. */
export function nativeAddonPath(): string | undefined {
  const root = packageRoot();
  return root === undefined ? undefined : join(root, 'native', 'build', ADDON_FILE);
}

let cached: AddonLoad | undefined;

/** Loads the addon once; the reason says what to do when it is not there or does not load. */
export function loadNativeAddon(): AddonLoad {
  cached ??= tryLoad();
  return cached;
}

/** Set beside OMP_WAIT_POLICY when the addon chose it, so that it can be told from a user's own setting. */
const WAIT_POLICY_MARK = 'VOICESWAP_OMP_WAIT_POLICY_SET';

/** OMP_WAIT_POLICY=passive where `env` has no policy, marked as the addon's own choice. */
export function setAddonEnvironment(env: NodeJS.ProcessEnv): void {
  if (env.OMP_WAIT_POLICY !== undefined) return;
  env.OMP_WAIT_POLICY = 'passive';
  env[WAIT_POLICY_MARK] = '1';
}

/**
 * `env` without the OpenMP setting the addon made for itself (OMP_WAIT_POLICY=passive where
 * the user had set none): for a child process that must run with its own defaults, such as
 * the PyTorch peer of `bench/compare-torch.ts`. PyTorch's OpenMP threads under the passive
 * policy took 0.29-0.34 s per small-preset iteration instead of 0.25-0.27 on this VM. A
 * policy the user set is kept.
 */
export function environmentWithoutAddonSettings(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  if (out[WAIT_POLICY_MARK] === '1') {
    delete out.OMP_WAIT_POLICY;
    delete out[WAIT_POLICY_MARK];
  }
  return out;
}

function tryLoad(): AddonLoad {
  const path = nativeAddonPath();
  if (path === undefined || !existsSync(path)) {
    return {
      ok: false,
      reason: 'the native addon is not built (apt-get install g++ libdnnl-dev, then npm run build:native or npm install)',
    };
  }
  // OpenMP threads that spin while they wait for work take a core from whatever else runs
  // on the machine, and stall the whole team when that other work takes theirs: on a busy
  // 2-core machine a 2-thread training step went from 0.5 s to 5-10 s. Sleeping waits
  // cost a few microseconds per parallel region instead. libgomp reads this when it loads
  // (with the addon, just below); a value the user set is kept.
  setAddonEnvironment(process.env);
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    return { ok: true, addon };
  } catch (err) {
    return { ok: false, reason: `${path} does not load: ${firstLine(err)}` };
  }
}
