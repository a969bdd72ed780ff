import { renameSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { FeatureConfig } from '../audio/config.js';
import { logMelToAudio } from '../audio/griffinlim.js';
import { encodeWav } from '../audio/wav.js';
import { limitPeak } from '../convert/convert-audio.js';
import { convertFeatures, type ConvertedFeatures } from '../convert/convert-features.js';
import { pitchTrackFromF0 } from '../audio/pitch.js';
import type { Direction, VoiceModel } from '../convert/voice-model.js';
import { writeFileAtomic } from '../io/atomic.js';
import { makeDirectory } from '../io/mkdir.js';
import { renderSpectrogramStackPng } from '../viz/spectrogram-image.js';
import type { Utterance } from './corpus.js';

export interface HeldOutClip {
  speaker: 'a' | 'b';
  utterance: Utterance;
}

/**
 * Convert each held-out clip with the current generators, both ways round: source ->
 * converted (the other speaker) -> reconstructed (back again). Writes the converted and
 * reconstructed WAVs (Griffin-Lim) and one PNG with the three spectrograms side by side
 * into `dir` (built in a temp dir, then renamed: never half-written).
 */
export function writeTrainingSamples(dir: string, model: VoiceModel, clips: HeldOutClip[], features: FeatureConfig, iteration: number): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  makeDirectory(tmp);
  for (const clip of clips) {
    const forward: Direction = clip.speaker === 'a' ? 'a2b' : 'b2a';
    const backward: Direction = forward === 'a2b' ? 'b2a' : 'a2b';
    const source = clip.utterance.logMel;
    // The same path as `voiceswap convert`; the way back starts from the converted pitch.
    const there = convertFeatures(model, source, clip.utterance.pitch, forward);
    const back = convertFeatures(model, there.logMel, there.harmonics ? pitchTrackFromF0(there.harmonics.f0Hz, features) : null, backward);
    const converted = there.logMel;
    const reconstructed = back.logMel;
    const stem = basename(clip.utterance.file, extname(clip.utterance.file));
    // Peak-limited as `voiceswap convert` does: the phase-locked harmonics would clip.
    const wav = (c: ConvertedFeatures) => encodeWav(limitPeak(logMelToAudio(c.logMel, { cfg: features, harmonics: c.harmonics })), features.sampleRate);
    writeFileAtomic(join(tmp, `${stem}.${forward}.wav`), wav(there));
    writeFileAtomic(join(tmp, `${stem}.${forward}.${backward}.wav`), wav(back));
    const png = renderSpectrogramStackPng(
      [
        { spec: source, title: `source: ${stem}` },
        { spec: converted, title: `converted ${forward}` },
        { spec: reconstructed, title: `reconstructed ${forward} then ${backward}` },
      ],
      { kind: 'mel', sampleRate: features.sampleRate, hopLength: features.hopLength, fMin: features.fMin, fMax: features.fMax, layout: 'columns', title: `${stem}, iteration ${iteration}` },
    );
    writeFileAtomic(join(tmp, `${stem}.${forward}.png`), png);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

