#!/usr/bin/env bash
# Dev-set figures of a model, both directions: converts samples/dev/{alice,bob} with the
# model, then writes OUT/{a2b,b2a}.eval.json (`voiceswap evaluate`, MCD and F0 against the
# other speaker saying the same sentences, with the unconverted baseline) and
# OUT/{a2b,b2a}.wer.json (`voiceswap wer`, pocketsphinx word error rate).
#   bash scripts/evaluate-model.sh MODEL_OR_RUN_DIR OUT_DIR [extra convert options...]
# Needs pocketsphinx (apt-get install pocketsphinx pocketsphinx-en-us) for the WER part.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL="$1"; OUT="$2"; shift 2
VS=(node "$ROOT/bin/voiceswap.js")
DEV="$ROOT/samples/dev"
mkdir -p "$OUT"
for dir in a2b b2a; do
  if [ "$dir" = a2b ]; then src=alice; tgt=bob; else src=bob; tgt=alice; fi
  "${VS[@]}" convert "$DEV/$src" -o "$OUT/$dir/" --model "$MODEL" --direction "$dir" "$@"
  "${VS[@]}" evaluate "$OUT/$dir" "$DEV/$tgt" --source "$DEV/$src" --json > "$OUT/$dir.eval.json"
  if command -v pocketsphinx_continuous > /dev/null; then
    "${VS[@]}" wer "$OUT/$dir" "$DEV/texts.tsv" --json > "$OUT/$dir.wer.json"
  fi
done
node -e '
const fs = require("fs"); const out = process.argv[1];
const pct = (x) => (100 * x).toFixed(1) + "%";
for (const dir of ["a2b", "b2a"]) {
  const e = JSON.parse(fs.readFileSync(`${out}/${dir}.eval.json`, "utf8"));
  const c = e.converted.total, u = e.unconverted.total;
  const werFile = `${out}/${dir}.wer.json`;
  const wer = fs.existsSync(werFile) ? pct(JSON.parse(fs.readFileSync(werFile, "utf8")).total.wer) : "n/a";
  console.log(`${dir}: MCD ${c.mcdDb.toFixed(2)} dB (unconverted ${u.mcdDb.toFixed(2)}), median F0 ${c.convertedMedianF0Hz.toFixed(0)} Hz` +
    ` (source ${u.convertedMedianF0Hz.toFixed(0)}, target ${c.targetMedianF0Hz.toFixed(0)}), F0 RMSE ${c.f0RmseCents.toFixed(0)} cents,` +
    ` voiced ${pct(c.convertedVoicedShare)} (target ${pct(c.targetVoicedShare)}), WER ${wer}`);
}' "$OUT"
