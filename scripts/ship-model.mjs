// Copy a trained model export into the package as float16 weights (half the size), the
// way models/alice-bob was made:
//   node scripts/ship-model.mjs RUN/export/iter-N models/alice-bob
// Run `npm install` (or `npx tsc`) first: this uses the built library in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lib = join(root, 'dist', 'src', 'index.js');
if (process.argv.length !== 4) {
  console.error('usage: node scripts/ship-model.mjs MODEL_DIR OUT_DIR');
  process.exit(2);
}
if (!existsSync(lib)) {
  console.error(`${lib}: not built; run npm install first`);
  process.exit(1);
}
const { initBackend, loadVoiceModel, saveVoiceModel, disposeVoiceModel } = await import(lib);
const [source, out] = process.argv.slice(2);
await initBackend('cpu');
const model = loadVoiceModel(source);
await saveVoiceModel(out, model.config, { gAB: model.generators.a2b, gBA: model.generators.b2a }, model.info, { float16: true });
disposeVoiceModel(model);
console.log(`wrote ${out} (float16) from ${model.dir}`);
