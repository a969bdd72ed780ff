import * as tf from '@tensorflow/tfjs';
import { firstLine, StartOutcome } from './candidate.js';

/**
 * The TensorFlow C library backends (@tensorflow/tfjs-node and @tensorflow/tfjs-node-gpu).
 * Both are optional dependencies: their install step downloads libtensorflow, which fails on
 * many machines, so they are loaded with a dynamic import and a missing package is a normal
 * "not installed" outcome. Either package registers the same backend name, 'tensorflow',
 * with our tfjs engine, and switches to it as a side effect of being imported.
 */

const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const CPU_PACKAGE = '@tensorflow/tfjs-node';
const TF_BACKEND = 'tensorflow';

const INSTALL_HINT: Record<string, string> = {
  [GPU_PACKAGE]: `npm install ${GPU_PACKAGE}; needs Linux x64, CUDA 11.2, cuDNN 8.1`,
  [CPU_PACKAGE]: `npm install ${CPU_PACKAGE}; needs Linux x64, macOS or Windows x64`,
};

/** The package whose import registered the 'tensorflow' backend, once one has, and its version. */
let loadedPackage: string | null = null;
let loadedVersion = '';

/** What the 'tensorflow' backend instance reports about itself (tfjs-node's NodeJSKernelBackend). */
interface NodeKernelBackend {
  isUsingGpuDevice?: boolean;
}

async function importPackage(pkg: string): Promise<string | null> {
  if (loadedPackage != null) return null;
  try {
    // A variable specifier keeps TypeScript from requiring the (optional) package's types.
    const specifier: string = pkg;
    const mod = (await import(specifier)) as { version?: Record<string, string> };
    loadedPackage = pkg;
    loadedVersion = mod.version?.['tfjs-node'] ?? '';
    return null;
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Only the package itself missing counts: a dependency of it that is missing names the
    // package in its path, but not as the quoted name Node reports as not found.
    const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && firstLine(err).includes(`'${pkg}'`);
    if (missing) return `${pkg} is not installed (${INSTALL_HINT[pkg]})`;
    return `${pkg} failed to load: ${firstLine(err)}`;
  }
}

async function activate(): Promise<string | null> {
  if (tf.findBackendFactory(TF_BACKEND) == null) {
    return `${loadedPackage} loaded but registered no '${TF_BACKEND}' backend with this copy of @tensorflow/tfjs (version mismatch?)`;
  }
  if (!(await tf.setBackend(TF_BACKEND))) return `the TensorFlow backend failed to initialise (see the warning above)`;
  return null;
}

function usesGpu(): boolean {
  return (tf.backend() as NodeKernelBackend).isUsingGpuDevice === true;
}

/** tfjs-node-gpu, only when TensorFlow sees a CUDA device. */
export async function startTensorflowGpu(): Promise<StartOutcome> {
  if (loadedPackage === CPU_PACKAGE) {
    return { ok: false, reason: `${CPU_PACKAGE} is already loaded in this process; restart to use the GPU package` };
  }
  const loadError = await importPackage(GPU_PACKAGE);
  if (loadError != null) return { ok: false, reason: loadError };
  const activateError = await activate();
  if (activateError != null) return { ok: false, reason: activateError };
  if (!usesGpu()) {
    return {
      ok: false,
      reason: `${GPU_PACKAGE} loaded but TensorFlow sees no CUDA device (check nvidia-smi, and that the CUDA 11.2 and cuDNN 8.1 libraries are on LD_LIBRARY_PATH)`,
    };
  }
  return { ok: true, description: `TensorFlow C library on a CUDA GPU (${packageLabel()})` };
}

/**
 * TensorFlow on the CPU: tfjs-node, or, when the GPU package is already loaded (it found no
 * GPU), that package's library, which runs the same CPU kernels. Loading both native
 * libraries into one process is not safe.
 */
export async function startTensorflowCpu(): Promise<StartOutcome> {
  const loadError = await importPackage(CPU_PACKAGE);
  if (loadError != null) return { ok: false, reason: loadError };
  const activateError = await activate();
  if (activateError != null) return { ok: false, reason: activateError };
  const device = usesGpu() ? 'a CUDA GPU' : 'the CPU';
  return { ok: true, description: `TensorFlow C library on ${device} (${packageLabel()})` };
}

function packageLabel(): string {
  return loadedVersion === '' ? `${loadedPackage}` : `${loadedPackage} ${loadedVersion}`;
}
