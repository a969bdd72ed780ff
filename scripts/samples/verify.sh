#!/usr/bin/env bash
# Checks a generated sample set (default: samples/) against what voiceswap relies on:
# layout, texts.tsv <-> wav agreement, held-out sentences, audio format, and that no
# file is silent, clipped or un-normalised. Exits non-zero listing every problem found.
#
#   bash scripts/samples/verify.sh [SAMPLES_DIR]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${1:-$ROOT/samples}"

MIN_TRAIN_FILES=60
SAMPLE_RATE=22050
MAX_BYTES=25000000
MIN_SECONDS=0.5
MAX_SECONDS=10
# Files are peak-normalised to -1 dBFS; allow for 16-bit rounding and dither.
PEAK_DB_MIN=-1.2
PEAK_DB_MAX=-0.8
# Speech sits well above this; a silent or near-silent render falls below it.
RMS_DB_MIN=-35

problems=0
fail() {
  echo "verify: $*" >&2
  problems=$((problems + 1))
}

# Lower-case, punctuation-free text column of a texts.tsv.
texts_of() {
  cut -f2 "$1" | tr '[:upper:]' '[:lower:]' | tr -d '[:punct:]' | tr -s '[:blank:]' ' ' | sed 's/^ //; s/ $//'
}

# Every wav in FOLDER is listed exactly once in TSV, and every listed file exists.
check_tsv_matches() {
  local folder="$1" tsv="$2"
  [[ -f "$tsv" ]] || { fail "$tsv: missing"; return; }
  diff <(cut -f1 "$tsv" | sort) <(cd "$folder" && ls -1 -- *.wav | sort) >/dev/null ||
    fail "$tsv: file column does not match the wav files in $folder"
  local dupes; dupes="$(cut -f1 "$tsv" | sort | uniq -d)"
  [[ -z "$dupes" ]] || fail "$tsv: listed twice: $dupes"
  awk -F'\t' 'NF != 2 || $2 == "" { exit 1 }' "$tsv" || fail "$tsv: every line must be file<TAB>text"
}

check_wav() {
  local f="$1"
  [[ "$(soxi -t "$f")" == wav ]] || fail "$f: not a WAV file"
  [[ "$(soxi -r "$f")" == "$SAMPLE_RATE" ]] || fail "$f: sample rate $(soxi -r "$f"), expected $SAMPLE_RATE"
  [[ "$(soxi -c "$f")" == 1 ]] || fail "$f: $(soxi -c "$f") channels, expected mono"
  [[ "$(soxi -b "$f")" == 16 ]] || fail "$f: $(soxi -b "$f") bits, expected 16"
  [[ "$(soxi -e "$f")" == "Signed Integer PCM" ]] || fail "$f: encoding '$(soxi -e "$f")', expected Signed Integer PCM"
  local seconds stats peak rms flat
  seconds="$(soxi -D "$f")"
  awk -v s="$seconds" -v lo="$MIN_SECONDS" -v hi="$MAX_SECONDS" 'BEGIN { exit !(s >= lo && s <= hi) }' ||
    fail "$f: duration ${seconds}s outside [$MIN_SECONDS, $MAX_SECONDS]"
  stats="$(sox "$f" -n stats 2>&1)"
  peak="$(awk '/^Pk lev dB/ { print $4 }' <<<"$stats")"
  rms="$(awk '/^RMS lev dB/ { print $4 }' <<<"$stats")"
  flat="$(awk '/^Flat factor/ { print $3 }' <<<"$stats")"
  awk -v p="$peak" -v lo="$PEAK_DB_MIN" -v hi="$PEAK_DB_MAX" 'BEGIN { exit !(p >= lo && p <= hi) }' ||
    fail "$f: peak ${peak} dBFS, expected about -1 (clipped or not normalised)"
  awk -v r="$rms" -v lo="$RMS_DB_MIN" 'BEGIN { exit !(r > lo) }' ||
    fail "$f: RMS ${rms} dBFS, looks silent"
  # A clipped file has runs of samples stuck at full scale; sox reports them as flat factor > 0.
  awk -v x="$flat" 'BEGIN { exit !(x == 0) }' || fail "$f: flat factor $flat (clipped)"
}

summary() {
  local label="$1"; shift
  printf '  %-11s %3d files  %6.1f s\n' "$label" "$#" "$(soxi -T -D "$@")"
}

[[ -d "$DIR" ]] || { echo "verify: $DIR: no such folder" >&2; exit 1; }
for folder in alice bob dev/alice dev/bob demo; do
  if ! compgen -G "$DIR/$folder/*.wav" >/dev/null; then
    echo "verify: $DIR/$folder: no wav files" >&2
    exit 1
  fi
done

check_tsv_matches "$DIR/alice" "$DIR/alice/texts.tsv"
check_tsv_matches "$DIR/bob" "$DIR/bob/texts.tsv"
check_tsv_matches "$DIR/dev/alice" "$DIR/dev/texts.tsv"
check_tsv_matches "$DIR/dev/bob" "$DIR/dev/texts.tsv"
check_tsv_matches "$DIR/demo" "$DIR/demo/texts.tsv"

for speaker in alice bob; do
  count="$(find "$DIR/$speaker" -maxdepth 1 -name '*.wav' | wc -l)"
  ((count >= MIN_TRAIN_FILES)) || fail "$DIR/$speaker: $count files, expected at least $MIN_TRAIN_FILES"
done

# Non-parallel training sets, and dev/demo sentences never seen in training.
dupes="$(cat <(texts_of "$DIR/alice/texts.tsv") <(texts_of "$DIR/bob/texts.tsv") \
  <(texts_of "$DIR/dev/texts.tsv") <(texts_of "$DIR/demo/texts.tsv") | sort | uniq -d)"
[[ -z "$dupes" ]] || fail "sentences shared between sets: $dupes"

while IFS= read -r -d '' f; do
  check_wav "$f"
done < <(find "$DIR" -name '*.wav' -print0 | sort -z)

bytes="$(du -sb "$DIR" | cut -f1)"
((bytes <= MAX_BYTES)) || fail "$DIR: $bytes bytes, over the $MAX_BYTES byte budget"

if ((problems > 0)); then
  echo "verify: $problems problem(s) in $DIR" >&2
  exit 1
fi
echo "verify: $DIR ok ($bytes bytes)"
summary alice/ "$DIR"/alice/*.wav
summary bob/ "$DIR"/bob/*.wav
summary dev/alice/ "$DIR"/dev/alice/*.wav
summary dev/bob/ "$DIR"/dev/bob/*.wav
summary demo/ "$DIR"/demo/*.wav
