#!/usr/bin/env bash
# Parallel dev-set figures of a model trained on a speaker pair other than alice/bob, e.g. the
# real Spanish pair of scripts/devsets/make-real-speech.sh (DATA/real-es/dev/{a,b}): converts
# DEV_A a->b and DEV_B b->a, then `voiceswap evaluate CONVERTED OTHER_SIDE --source SOURCE
# --json` (MCD and F0 against the other speaker saying the same prompts, with the unconverted
# baseline) and the same converted set against its own source (voiced share, F0 shift), as
# scripts/evaluate-model.sh does for samples/dev. EVAL_OPTS=--telephone analyses 8 kHz recordings
# at 8 kHz (MCD over 0-4 kHz). With TEXTS=FILE.tsv (English only: the
# recogniser is pocketsphinx en-us) also the word error rate.
#
#   bash scripts/devsets/evaluate-pair.sh MODEL OUT_DIR DEV_A DEV_B [extra convert options...]
#   e.g. bash scripts/devsets/evaluate-pair.sh runs/es-pair out/es \
#          /root/vs-data/real-es/dev/a /root/vs-data/real-es/dev/b
#
# Writes OUT/{a2b,b2a}/, OUT/{a2b,b2a}.{eval,vs-source,wer}.json and OUT/summary.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ $# -lt 4 ]]; then
  echo "usage: $0 MODEL OUT_DIR DEV_A DEV_B [extra convert options...]" >&2
  exit 2
fi
MODEL="$1"; OUT="$2"; DEV_A="$3"; DEV_B="$4"; shift 4
VS=(node "$ROOT/bin/voiceswap.js")
mkdir -p "$OUT"
for dir in a2b b2a; do
  if [[ $dir == a2b ]]; then src="$DEV_A"; tgt="$DEV_B"; else src="$DEV_B"; tgt="$DEV_A"; fi
  rm -rf "$OUT/$dir"
  "${VS[@]}" convert "$src" -o "$OUT/$dir/" --model "$MODEL" --direction "$dir" "$@" >&2
  # shellcheck disable=SC2086  # EVAL_OPTS=--telephone limits the MCD to 0-4 kHz for 8 kHz recordings
  "${VS[@]}" evaluate "$OUT/$dir" "$tgt" --source "$src" --json ${EVAL_OPTS:-} >"$OUT/$dir.eval.json"
  # shellcheck disable=SC2086
  "${VS[@]}" evaluate "$OUT/$dir" "$src" --json ${EVAL_OPTS:-} >"$OUT/$dir.vs-source.json"
  if [[ -n "${TEXTS:-}" ]] && command -v pocketsphinx_continuous >/dev/null; then
    "${VS[@]}" wer "$OUT/$dir" "$TEXTS" --json >"$OUT/$dir.wer.json"
  fi
done
node -e '
const fs = require("fs"); const out = process.argv[1];
const read = (f) => (fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : null);
const num = (x) => (typeof x === "number" && Number.isFinite(x) ? x : null);
const f = (x, d = 0) => (num(x) === null ? "n/a" : x.toFixed(d));
const pct = (x) => (num(x) === null ? "n/a" : (100 * x).toFixed(1) + "%");
const st = (a, b) => (num(a) && num(b) ? 12 * Math.log2(a / b) : null);
const rows = [];
for (const dir of ["a2b", "b2a"]) {
  const e = read(`${out}/${dir}.eval.json`), c = e.converted.total, u = e.unconverted.total;
  const s = read(`${out}/${dir}.vs-source.json`).converted.total;
  const w = read(`${out}/${dir}.wer.json`);
  const r = {
    direction: dir, files: c.files, mcdDb: c.mcdDb, mcdUnconvertedDb: u.mcdDb,
    sourceMedianF0Hz: u.convertedMedianF0Hz, convertedMedianF0Hz: c.convertedMedianF0Hz,
    targetMedianF0Hz: c.targetMedianF0Hz, offTargetSemitones: st(c.convertedMedianF0Hz, c.targetMedianF0Hz),
    f0RmseCents: c.f0RmseCents, f0RmseCentsUnconverted: u.f0RmseCents,
    voicedShareConverted: c.convertedVoicedShare, voicedShareSource: s.targetVoicedShare,
    voicedShareTarget: c.targetVoicedShare, voicedRatio: c.convertedVoicedShare / s.targetVoicedShare,
    convertedLogF0Spread: num(c.convertedLogF0Spread), sourceLogF0Spread: num(s.targetLogF0Spread),
    targetLogF0Spread: num(c.targetLogF0Spread), wer: w ? w.total.wer : null,
  };
  rows.push(r);
  console.log(`${dir}: MCD ${f(r.mcdDb, 2)} dB (unconverted ${f(r.mcdUnconvertedDb, 2)}), median F0 ${f(r.convertedMedianF0Hz)} Hz` +
    ` (source ${f(r.sourceMedianF0Hz)}, target ${f(r.targetMedianF0Hz)}; ${f(r.offTargetSemitones, 1)} st off target),` +
    ` F0 RMSE ${f(r.f0RmseCents)} cents (unconverted ${f(r.f0RmseCentsUnconverted)}),` +
    ` voiced ${pct(r.voicedShareConverted)} (source ${pct(r.voicedShareSource)}, target ${pct(r.voicedShareTarget)}),` +
    ` logF0 spread ${f(r.convertedLogF0Spread, 3)} (source ${f(r.sourceLogF0Spread, 3)}, target ${f(r.targetLogF0Spread, 3)}), WER ${pct(r.wer)}`);
}
fs.writeFileSync(`${out}/summary.json`, JSON.stringify({ rows }, null, 2) + "\n");
' "$OUT"
