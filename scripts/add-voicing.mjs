// Give a model made before voicing classifiers its speakers' classifiers (model/voicing.ts),
// fitted on every recording under the speakers' folders the way `voiceswap train` fits them
// (training leaves out its held-out clips):
//   node scripts/add-voicing.mjs MODEL SPEAKER_A_DIR SPEAKER_B_DIR OUT_DIR
// The generators and everything else in MODEL are copied unchanged; OUT_DIR is written
// atomically and must not be MODEL. Run `npm install` (or `npx tsc`) first: this uses dist/.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lib = join(root, 'dist', 'src', 'index.js');
const args = process.argv.slice(2);
if (args.length !== 4) {
  console.error('usage: node scripts/add-voicing.mjs MODEL SPEAKER_A_DIR SPEAKER_B_DIR OUT_DIR');
  process.exit(2);
}
if (!existsSync(lib)) {
  console.error(`${lib}: not built; run npm install first`);
  process.exit(1);
}
const v = await import(lib);
const [modelPath, dirA, dirB, out] = args;
if (resolve(out) === resolve(v.resolveModelDir(modelPath))) throw new v.VoiceswapError(`${out}: would overwrite the input model; choose another OUT_DIR`);
await v.initBackend('cpu');
const model = v.loadVoiceModel(modelPath);
const features = model.info.features;

// The same corpus reading (every .wav under the folder, recursively) and fit as training.
const { loadSpeakerCorpus } = await import(join(root, 'dist', 'src', 'train', 'corpus.js'));
const { fitSpeakerVoicing } = await import(join(root, 'dist', 'src', 'model', 'voicing.js'));
const classifier = (dir, stats) => fitSpeakerVoicing(loadSpeakerCorpus(dir, features).utterances, stats).classifier;

const voicing = { a: classifier(dirA, model.stats.a), b: classifier(dirB, model.stats.b) };
await v.saveVoiceModel(out, model.config, { gAB: model.generators.a2b, gBA: model.generators.b2a }, { ...model.info, voicing });
v.disposeVoiceModel(model);
console.log(`wrote ${out}: ${modelPath} with voicing classifiers fitted on ${dirA} and ${dirB}`);
