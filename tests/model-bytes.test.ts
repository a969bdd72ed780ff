import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeVoiceModel, loadVoiceModel, voiceModelFromBytes } from '../src/convert/voice-model.js';

const DIR = 'models/alice-bob';
const jsonText = readFileSync(`${DIR}/model.json`, 'utf8');
const weights = readFileSync(`${DIR}/weights.bin`);

describe('voiceModelFromBytes (the browser page reads models from picked files)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('builds the same model as loadVoiceModel from the same files', async () => {
    const fromBytes = voiceModelFromBytes(jsonText, new Uint8Array(weights), ['a2b']);
    const fromDir = loadVoiceModel(DIR, ['a2b']);
    expect(fromBytes.info).toEqual(fromDir.info);
    const a = fromBytes.generators.a2b!;
    const b = fromDir.generators.a2b!;
    expect([...a.vars.keys()]).toEqual([...b.vars.keys()]);
    for (const [name, v] of a.vars) expect(await v.data()).toEqual(await b.vars.get(name)!.data());
    disposeVoiceModel(fromBytes);
    disposeVoiceModel(fromDir);
  });

  it('names the picked file when the weights do not belong to the model.json', () => {
    const damaged = new Uint8Array(weights);
    damaged[1000] ^= 0xff;
    expect(() => voiceModelFromBytes(jsonText, damaged, ['a2b'], 'my/model.json')).toThrow(/weights\.bin: is damaged/);
    expect(() => voiceModelFromBytes(jsonText, damaged.subarray(8), ['a2b'])).toThrow(/bytes, model\.json expects/);
    expect(() => voiceModelFromBytes('{"format": 1}', damaged, ['a2b'], 'x.json')).toThrow(/^x\.json: is not a voiceswap model/);
  });
});
