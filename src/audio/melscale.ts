/**
 * The Slaney mel scale (librosa's default, htk=False): linear below 1 kHz
 * (200/3 Hz per mel), logarithmic above (27 mels per factor 6.4 of frequency).
 */
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP; // 15
const LOG_STEP = Math.log(6.4) / 27;

export function hzToMel(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

export function melToHz(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/** `count` frequencies in Hz evenly spaced on the mel scale from fMin to fMax inclusive. */
export function melFrequencies(count: number, fMin: number, fMax: number): Float64Array {
  const lo = hzToMel(fMin);
  const hi = hzToMel(fMax);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = melToHz(lo + ((hi - lo) * i) / (count - 1));
  return out;
}
