#!/usr/bin/env bash
# How a voiceswap model does on speakers it was not trained on: converts
#   - each DATA/unseen/<voice> set (scripts/devsets/make-unseen-voices.sh) and
#   - DATA/real-en (scripts/devsets/make-real-speech.sh en)
# to bob (a2b) and to alice (b2a), then measures
#   - every converted set against its own source (`voiceswap evaluate CONVERTED SOURCE --json`,
#     the source in the target's place): voiced share converted / source, converted median F0,
#     log-F0 spread when the JSON has it,
#   - the unseen flite sets also against the real target speaker (samples/dev/bob or
#     samples/dev/alice, same sentences and file names): MCD, with the unconverted baseline,
#   - word error rate (`voiceswap wer`) of converted and unconverted speech,
# and compares the converted median F0 with the target speaker's own (measured on
# samples/dev/{bob,alice}), in Hz and semitones.
#
#   bash scripts/devsets/evaluate-unseen.sh MODEL OUT_DIR [extra convert options...]
#   DATA=/root/vs-data (default) is the data root; SETS="awb real-en" restricts the sets.
#
# Writes OUT/<set>/<dir>/ (converted WAVs), OUT/<set>/<dir>.{vs-source,vs-target,wer}.json,
# OUT/<set>/source.wer.json, OUT/ref.{a2b,b2a}.json (samples/dev figures of the target
# speakers) and OUT/summary.json; prints the summary table. Re-running overwrites.
# Needs pocketsphinx (apt-get install pocketsphinx pocketsphinx-en-us) for the WER part.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ $# -lt 2 ]]; then
  echo "usage: $0 MODEL OUT_DIR [extra convert options...]" >&2
  exit 2
fi
MODEL="$1"; OUT="$2"; shift 2
DATA="${DATA:-/root/vs-data}"
VS=(node "$ROOT/bin/voiceswap.js")
DEV="$ROOT/samples/dev"
HAVE_WER=0
command -v pocketsphinx_continuous >/dev/null && HAVE_WER=1
mkdir -p "$OUT"

# The target speakers' own figures: their dev recordings measured as "target" (with the other
# speaker as "converted", which does not matter here).
"${VS[@]}" evaluate "$DEV/alice" "$DEV/bob" --json >"$OUT/ref.a2b.json"
"${VS[@]}" evaluate "$DEV/bob" "$DEV/alice" --json >"$OUT/ref.b2a.json"

# Sets: "name<TAB>source dir<TAB>texts.tsv (or -)<TAB>parallel to samples/dev (1/0)".
SETLIST="$OUT/sets.tsv"
: >"$SETLIST"
if [[ -d "$DATA/unseen" ]]; then
  for d in "$DATA/unseen"/*/; do
    v="$(basename "$d")"
    printf '%s\t%s\t%s\t1\n' "$v" "${d%/}" "$DATA/unseen/texts.tsv" >>"$SETLIST"
  done
else
  echo "evaluate-unseen: no $DATA/unseen (run scripts/devsets/make-unseen-voices.sh); skipped" >&2
fi
if [[ -d "$DATA/real-en" ]]; then
  printf 'real-en\t%s\t%s\t0\n' "$DATA/real-en" "$DATA/real-en/texts.tsv" >>"$SETLIST"
else
  echo "evaluate-unseen: no $DATA/real-en (run scripts/devsets/make-real-speech.sh DATA en); skipped" >&2
fi
if [[ -n "${SETS:-}" ]]; then
  awk -F'\t' -v sets=" $SETS " 'index(sets, " " $1 " ")' "$SETLIST" >"$SETLIST.tmp" && mv "$SETLIST.tmp" "$SETLIST"
fi
[[ -s "$SETLIST" ]] || { echo "evaluate-unseen: no sets to evaluate" >&2; exit 1; }

while IFS=$'\t' read -r name src texts parallel; do
  mkdir -p "$OUT/$name"
  if [[ $HAVE_WER == 1 && -f "$texts" ]]; then
    "${VS[@]}" wer "$src" "$texts" --json >"$OUT/$name/source.wer.json"
  fi
  for dir in a2b b2a; do
    if [[ $dir == a2b ]]; then tgt=bob; else tgt=alice; fi
    echo "evaluate-unseen: $name $dir (-> $tgt)" >&2
    rm -rf "$OUT/$name/$dir"
    "${VS[@]}" convert "$src" -o "$OUT/$name/$dir/" --model "$MODEL" --direction "$dir" "$@" >&2
    "${VS[@]}" evaluate "$OUT/$name/$dir" "$src" --json >"$OUT/$name/$dir.vs-source.json"
    if [[ $parallel == 1 ]]; then
      "${VS[@]}" evaluate "$OUT/$name/$dir" "$DEV/$tgt" --source "$src" --json >"$OUT/$name/$dir.vs-target.json"
    fi
    if [[ $HAVE_WER == 1 && -f "$texts" ]]; then
      "${VS[@]}" wer "$OUT/$name/$dir" "$texts" --json >"$OUT/$name/$dir.wer.json"
    fi
  done
done <"$SETLIST"

node -e '
const fs = require("fs");
const [out, setlist] = process.argv.slice(1);
const read = (f) => (fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : null);
const num = (x) => (typeof x === "number" && Number.isFinite(x) ? x : null);
const f = (x, d = 0) => (num(x) === null ? "n/a" : x.toFixed(d));
const pct = (x) => (num(x) === null ? "n/a" : (100 * x).toFixed(1) + "%");
const st = (a, b) => (num(a) && num(b) ? 12 * Math.log2(a / b) : null);
const sgn = (x, d = 1) => (num(x) === null ? "n/a" : (x >= 0 ? "+" : "") + x.toFixed(d));
const ref = {};
for (const dir of ["a2b", "b2a"]) {
  const t = read(`${out}/ref.${dir}.json`).converted.total;
  ref[dir] = { speaker: dir === "a2b" ? "bob" : "alice", medianF0Hz: t.targetMedianF0Hz,
    logF0Spread: num(t.targetLogF0Spread), voicedShare: t.targetVoicedShare };
}
const rows = [];
for (const line of fs.readFileSync(setlist, "utf8").split("\n").filter(Boolean)) {
  const [set] = line.split("\t");
  const srcWer = read(`${out}/${set}/source.wer.json`);
  for (const dir of ["a2b", "b2a"]) {
    const vs = read(`${out}/${set}/${dir}.vs-source.json`).converted.total;
    const vt = read(`${out}/${set}/${dir}.vs-target.json`);
    const wer = read(`${out}/${set}/${dir}.wer.json`);
    const r = ref[dir];
    rows.push({
      set, direction: dir, target: r.speaker, files: vs.files,
      voicedShareConverted: vs.convertedVoicedShare, voicedShareSource: vs.targetVoicedShare,
      voicedRatio: vs.convertedVoicedShare / vs.targetVoicedShare,
      sourceMedianF0Hz: vs.targetMedianF0Hz, convertedMedianF0Hz: vs.convertedMedianF0Hz,
      targetMedianF0Hz: r.medianF0Hz, offTargetSemitones: st(vs.convertedMedianF0Hz, r.medianF0Hz),
      shiftSemitones: st(vs.convertedMedianF0Hz, vs.targetMedianF0Hz),
      convertedLogF0Spread: num(vs.convertedLogF0Spread), sourceLogF0Spread: num(vs.targetLogF0Spread),
      targetLogF0Spread: r.logF0Spread,
      mcdToTargetDb: vt ? vt.converted.total.mcdDb : null,
      mcdToTargetUnconvertedDb: vt && vt.unconverted ? vt.unconverted.total.mcdDb : null,
      werConverted: wer ? wer.total.wer : null, werSource: srcWer ? srcWer.total.wer : null,
    });
  }
}
fs.writeFileSync(`${out}/summary.json`, JSON.stringify({ reference: ref, rows }, null, 2) + "\n");
const head = ["set", "dir", "voiced conv/src", "F0 src", "F0 conv", "F0 tgt", "st off tgt",
  "logF0 spread conv/src/tgt", "MCD tgt (unconv)", "WER conv", "WER src"];
const body = rows.map((r) => [r.set, `${r.direction} (${r.target})`,
  `${pct(r.voicedShareConverted)}/${pct(r.voicedShareSource)} = ${f(r.voicedRatio, 2)}`,
  f(r.sourceMedianF0Hz), f(r.convertedMedianF0Hz), f(r.targetMedianF0Hz), sgn(r.offTargetSemitones),
  `${f(r.convertedLogF0Spread, 3)}/${f(r.sourceLogF0Spread, 3)}/${f(r.targetLogF0Spread, 3)}`,
  r.mcdToTargetDb === null ? "-" : `${f(r.mcdToTargetDb, 2)} (${f(r.mcdToTargetUnconvertedDb, 2)})`,
  pct(r.werConverted), pct(r.werSource)]);
const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
const fmt = (cells) => cells.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd();
console.log(fmt(head)); console.log(w.map((n) => "-".repeat(n)).join("  "));
for (const b of body) console.log(fmt(b));
console.log(`F0 in Hz (median over voiced frames); st off tgt = 12*log2(F0 conv / F0 tgt), target` +
  ` F0 from samples/dev/{bob,alice}; voiced = voiced-frame share. Written ${out}/summary.json`);
' "$OUT" "$SETLIST"
