// Make the inference model that ships in the package from training exports:
//   node scripts/ship-model.mjs A2B_MODEL [B2A_MODEL] OUT_DIR [--float16]
// G_AB (alice -> bob) comes from A2B_MODEL and G_BA from B2A_MODEL (default: the same
// model). At conversion time each direction uses only its own generator, so two
// checkpoints of ONE run (same speakers, same statistics) can each give the direction
// they convert best. --float16 halves the weights (measure before using it).
// Run `npm install` (or `npx tsc`) first: this uses the built library in dist/.
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lib = join(root, 'dist', 'src', 'index.js');
const args = process.argv.slice(2);
const float16 = args.includes('--float16');
const paths = args.filter((a) => a !== '--float16');
if (paths.length < 2 || paths.length > 3) {
  console.error('usage: node scripts/ship-model.mjs A2B_MODEL [B2A_MODEL] OUT_DIR [--float16]');
  process.exit(2);
}
if (!existsSync(lib)) {
  console.error(`${lib}: not built; run npm install first`);
  process.exit(1);
}
const { initBackend, loadVoiceModel, saveVoiceModel, disposeVoiceModel, VoiceswapError } = await import(lib);
const out = paths.pop();
const [a2bSource, b2aSource = a2bSource] = paths;
await initBackend('cpu');
const a2b = loadVoiceModel(a2bSource, ['a2b']);
const b2a = loadVoiceModel(b2aSource, ['b2a']);
const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);
if (!same(a2b.config, b2a.config) || !same(a2b.info.features, b2a.info.features) || !same(a2b.info.stats, b2a.info.stats)) {
  throw new VoiceswapError(`${a2bSource} and ${b2aSource} come from different runs (config, features or statistics differ)`);
}
// Speaker folders relative to the package, so no machine's paths ship.
const speakers = { a: relative(root, a2b.info.speakers.a), b: relative(root, a2b.info.speakers.b) };
const iteration = a2b.info.iteration === b2a.info.iteration ? a2b.info.iteration : { a2b: a2b.info.iteration, b2a: b2a.info.iteration };
await saveVoiceModel(out, a2b.config, { gAB: a2b.generators.a2b, gBA: b2a.generators.b2a }, { ...a2b.info, speakers, iteration }, { float16 });
disposeVoiceModel(a2b);
disposeVoiceModel(b2a);
console.log(`wrote ${out}${float16 ? ' (float16)' : ''}: a2b from ${a2bSource}, b2a from ${b2aSource}`);
