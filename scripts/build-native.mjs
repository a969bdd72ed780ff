#!/usr/bin/env node
/**
 * Builds the optional native kernel addon (native/ -> native/build/voiceswap_native.node)
 * when this machine can: a C++ compiler, Node's own headers, oneDNN (libdnnl-dev) and
 * OpenMP. Otherwise it prints one line saying why and exits 0, so that `npm install` never
 * fails because of it; voiceswap then runs on its other backends.
 *
 *   VOICESWAP_NATIVE=skip     do not build
 *   VOICESWAP_NATIVE=require  a missing prerequisite or failed build exits 1 (CI)
 *   CXX=clang++               the compiler (default: c++, g++, clang++, the first that runs)
 *
 * It calls the compiler directly rather than node-gyp: node-gyp wants Python and downloads
 * Node's headers, while the headers ship with Node itself (<prefix>/include/node).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIR = join(ROOT, 'native', 'src');
const OUT_DIR = join(ROOT, 'native', 'build');
const OUT_FILE = join(OUT_DIR, 'voiceswap_native.node');
const PREFIX = 'voiceswap native kernels:';
const mode = process.env.VOICESWAP_NATIVE ?? 'auto';

function finish(message, ok) {
  console.log(`${PREFIX} ${message}`);
  process.exit(ok || mode !== 'require' ? 0 : 1);
}

/** Node's C headers: npm's nodedir setting if given, else the prefix of the running node. */
function nodeIncludeDir() {
  const candidates = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))].filter(Boolean);
  for (const dir of candidates) {
    const include = join(dir, 'include', 'node');
    if (existsSync(join(include, 'node_api.h'))) return include;
  }
  return null;
}

function findCompiler() {
  const names = process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'];
  return names.find((cxx) => spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status === 0) ?? null;
}

/** Whether `cxx` compiles and links a one-line program with these flags (a prerequisite probe). */
function compiles(cxx, program, flags) {
  const probe = spawnSync(cxx, ['-x', 'c++', '-', '-o', '/dev/null', ...flags], { input: program, stdio: ['pipe', 'ignore', 'ignore'] });
  return probe.status === 0;
}

function upToDate(sources) {
  if (!existsSync(OUT_FILE)) return false;
  const built = statSync(OUT_FILE).mtimeMs;
  return [...sources, fileURLToPath(import.meta.url)].every((f) => statSync(f).mtimeMs < built);
}

if (mode === 'skip') finish('skipped (VOICESWAP_NATIVE=skip)', true);
if (process.platform !== 'linux') finish(`skipped: only Linux builds are supported (this is ${process.platform})`, false);

const cxx = findCompiler();
if (cxx === null) finish('skipped: no C++ compiler found (install g++, or set CXX)', false);
const include = nodeIncludeDir();
if (include === null) finish(`skipped: Node's headers (include/node/node_api.h) not found under ${dirname(dirname(process.execPath))}`, false);
if (!compiles(cxx, '#include <omp.h>\nint main() { return omp_get_max_threads() > 0 ? 0 : 1; }', ['-fopenmp'])) {
  finish(`skipped: ${cxx} cannot build OpenMP programs (-fopenmp)`, false);
}
if (!compiles(cxx, '#include <oneapi/dnnl/dnnl.h>\nint main() { return dnnl_version() ? 0 : 1; }', ['-ldnnl'])) {
  finish('skipped: oneDNN not found (apt-get install libdnnl-dev)', false);
}

const sources = readdirSync(SOURCE_DIR)
  .filter((f) => f.endsWith('.cc'))
  .sort()
  .map((f) => join(SOURCE_DIR, f));
const headers = readdirSync(SOURCE_DIR)
  .filter((f) => f.endsWith('.h'))
  .map((f) => join(SOURCE_DIR, f));
if (upToDate([...sources, ...headers])) finish(`up to date (${OUT_FILE})`, true);

mkdirSync(OUT_DIR, { recursive: true });
const partial = `${OUT_FILE}.${process.pid}.tmp`;
const flags = [
  '-std=c++17',
  '-O3',
  '-fPIC',
  '-shared',
  '-fopenmp',
  '-fvisibility=hidden',
  // results are unchanged; errno and floating-point exception flags are never read, and
  // without them the compiler vectorises loops with sqrt and comparisons
  '-fno-math-errno',
  '-fno-trapping-math',
  '-Wall',
  '-Wextra',
  '-DNAPI_VERSION=8',
  '-DNODE_GYP_MODULE_NAME=voiceswap_native',
  `-I${include}`,
  ...sources,
  '-ldnnl',
  '-o',
  partial,
];
console.log(`${PREFIX} building with ${cxx} (oneDNN, OpenMP)...`);
const build = spawnSync(cxx, flags, { stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) {
  rmSync(partial, { force: true });
  finish(`build failed (${cxx} exited with ${build.status ?? build.signal}); the native backend will be unavailable`, false);
}
renameSync(partial, OUT_FILE); // atomic: a loader never sees a half-written addon
finish(`built ${OUT_FILE}`, true);
