#!/usr/bin/env bash
# Unseen-speaker evaluation sets: the 15 dev sentences of samples/dev/texts.tsv spoken by
# every flite voice that is NOT a training voice of the shipped model (slt = alice,
# rms = bob) and not a limited-domain voice (awb_time can only say the time):
# awb (Scottish English male), kal16 (US male, 16 kHz), kal (US male diphone, 8 kHz), ...
#
#   bash scripts/devsets/make-unseen-voices.sh [DATA_ROOT]     (default /root/vs-data)
#
# Writes DATA/unseen/<voice>/devNN.wav (the same file names as samples/dev/alice, so
# `voiceswap evaluate CONVERTED samples/dev/bob --source DATA/unseen/awb` pairs them) and
# DATA/unseen/texts.tsv (a copy of samples/dev/texts.tsv). Files keep flite's native rate
# and are trimmed / peak-normalised / padded like samples/ (16-bit PCM mono).
# Idempotent: each run rebuilds the set in a staging folder and swaps it in.
# VOICES="awb kal16" restricts the voices.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
DATA="${1:-/root/vs-data}"
TEXTS="$ROOT/samples/dev/texts.tsv"
need flite sox soxi

available="$(flite -lv | sed 's/^Voices available://' | tr ' ' '\n' | sed '/^$/d')"
if [[ -z "${VOICES:-}" ]]; then
  VOICES="$(grep -v -x -e slt -e rms -e '.*_time' <<<"$available" | sort | paste -sd' ')"
fi
for v in $VOICES; do
  grep -qx "$v" <<<"$available" || { echo "make-unseen-voices: flite has no voice '$v'" >&2; exit 1; }
done

FINAL="$DATA/unseen"
STAGE="$(stage_dir "$FINAL")"
trap 'rm -rf "$STAGE"' EXIT
cp "$TEXTS" "$STAGE/texts.tsv"
for v in $VOICES; do
  mkdir -p "$STAGE/$v"
  while IFS=$'\t' read -r name text; do
    [[ -n "$name" ]] || continue
    flite -voice "$v" -t "$text" -o "$STAGE/raw.wav"
    clean_wav "$STAGE/raw.wav" "$STAGE/$v/$name"
  done <"$TEXTS"
  n="$(find "$STAGE/$v" -name '*.wav' | wc -l)"
  rate="$(soxi -r "$STAGE/$v/$(head -n1 "$TEXTS" | cut -f1)")"
  echo "make-unseen-voices: $v: $n files, $(seconds "$STAGE/$v"/*.wav) s, $rate Hz"
done
rm -f "$STAGE/raw.wav"
{
  echo "Unseen flite voices saying the 15 sentences of samples/dev/texts.tsv"
  echo "(made by scripts/devsets/make-unseen-voices.sh; voices: $VOICES)"
  for v in $VOICES; do
    printf '%s: %d files, %s s, %s Hz\n' "$v" "$(find "$STAGE/$v" -name '*.wav' | wc -l)" \
      "$(seconds "$STAGE/$v"/*.wav)" "$(soxi -r "$(find "$STAGE/$v" -name '*.wav' -print -quit)")"
  done
} >"$STAGE/README.txt"
swap_in "$STAGE" "$FINAL"
trap - EXIT
echo "make-unseen-voices: wrote $FINAL"
