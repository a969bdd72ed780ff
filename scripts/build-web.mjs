#!/usr/bin/env node
/**
 * Builds the browser page (web/) into dist/web/: esbuild bundles web/main.ts (the page)
 * and web/worker.ts (conversion) with platform 'browser', so any node:* import reaching
 * them fails the build; then index.html, tfjs's WebAssembly binaries (wasm/) and the
 * shipped model (models/alice-bob/) are copied beside them. The folder is self-contained
 * with relative URLs: `voiceswap ui` serves it, and so can any static host.
 *
 *   node scripts/build-web.mjs [--json]    (npm run build:web)
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_OUT = join(root, 'dist', 'web');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const MODEL_FILES = ['model.json', 'weights.bin'];

export async function buildWeb(out = WEB_OUT) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'web/main.ts', worker: 'web/worker.ts' },
    outdir: out,
    bundle: true,
    platform: 'browser', // a node:* import cannot resolve: the build fails
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    // The library imports the tfjs umbrella package; the page needs only its core (ops)
    // and the wasm backend, not the layers/converter/data packages or the webgl backend.
    alias: { '@tensorflow/tfjs': '@tensorflow/tfjs-core' },
    // wavefile's ESM build has no default export; its CommonJS build (what Node runs) has.
    mainFields: ['browser', 'main'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    metafile: true,
  });
  copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  mkdirSync(join(out, 'wasm'));
  for (const f of WASM_FILES) copyFileSync(join(wasmDir, f), join(out, 'wasm', f));
  mkdirSync(join(out, 'models', 'alice-bob'), { recursive: true });
  for (const f of MODEL_FILES) copyFileSync(join(root, 'models', 'alice-bob', f), join(out, 'models', 'alice-bob', f));
  const size = (p) => statSync(join(out, p)).size;
  const sizes = {
    'main.js': size('main.js'),
    'worker.js': size('worker.js'),
    'wasm/tfjs-backend-wasm-simd.wasm': size('wasm/tfjs-backend-wasm-simd.wasm'),
    'models/alice-bob/weights.bin': size('models/alice-bob/weights.bin'),
  };
  writeFileSync(join(out, 'build-info.json'), JSON.stringify({ sizes, inputs: Object.keys(result.metafile.inputs).length }, null, 1) + '\n');
  return { out, sizes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { out, sizes } = await buildWeb();
    const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
    console.log(`build:web: ${out}`);
    for (const [name, n] of Object.entries(sizes)) console.log(`  ${name.padEnd(34)} ${kib(n)}`);
  } catch (err) {
    // esbuild has printed the errors (a node:* import says "Could not resolve")
    console.error(`build:web failed: ${err.message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
