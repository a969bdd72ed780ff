#!/usr/bin/env bash
# Regenerates samples/ (the two sample speakers, alice and bob) from the sentence
# lists in scripts/samples/, using the flite voices slt (alice) and rms (bob).
#
#   bash scripts/make-samples.sh
#
# Everything is built in a staging folder, verified, and only then swapped into
# place, so a failed run leaves the existing samples/ untouched. With the same
# flite and sox versions a re-run reproduces every file byte for byte.
set -Eeuo pipefail
trap 'echo "make-samples: failed at line $LINENO; samples/ left unchanged" >&2' ERR

for tool in flite sox soxi; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "make-samples: '$tool' not found; install it with: apt-get install flite sox" >&2
    exit 1
  fi
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LISTS="$ROOT/scripts/samples"
OUT="$ROOT/samples"

ALICE_VOICE=slt   # CMU ARCTIC speaker SLT, US English female
BOB_VOICE=rms     # CMU ARCTIC speaker RMS, US English male
SAMPLE_RATE=22050
PEAK_DBFS=-1      # every file is peak-normalised to this level
EDGE_PAD_S=0.1    # silence kept (re-added) at each end after trimming

# flite voice names are printed on one line after "Voices available:".
for voice in "$ALICE_VOICE" "$BOB_VOICE"; do
  if ! flite -lv | tr ' ' '\n' | grep -qx "$voice"; then
    echo "make-samples: this flite has no voice '$voice' (see 'flite -lv'); install Debian's flite package" >&2
    exit 1
  fi
done

# Sentence list -> its lines, skipping blank lines and '#' comments.
sentences() {
  grep -v -e '^[[:space:]]*$' -e '^[[:space:]]*#' "$1"
}

# Lower-case, punctuation-free form, so "Hello, Bob." and "hello bob" count as the same sentence.
normalised() {
  tr '[:upper:]' '[:lower:]' | tr -d '[:punct:]' | tr -s '[:blank:]' ' ' | sed 's/^ //; s/ $//'
}

# The training sets must be non-parallel and the dev/demo sentences held out, so
# no sentence may appear twice anywhere (within or across lists).
check_lists_disjoint() {
  local dupes
  dupes="$(for list in "$@"; do sentences "$list"; done | normalised | sort | uniq -d)"
  if [[ -n "$dupes" ]]; then
    echo "make-samples: these sentences occur more than once in scripts/samples/*.txt:" >&2
    echo "$dupes" >&2
    exit 1
  fi
  local list
  for list in "$@"; do
    if sentences "$list" | grep -q $'\t'; then
      echo "make-samples: $list: a sentence contains a tab (texts.tsv is tab-separated)" >&2
      exit 1
    fi
  done
}

# Native flite rate (16 kHz for slt/rms) -> trimmed, resampled to 22050 Hz, peak-normalised,
# padded, 16-bit mono. Resampling happens before normalising so the peak is measured on the
# final signal. -R seeds sox's dither with a fixed value, making the bytes repeatable.
synthesise() {
  local voice="$1" text="$2" out="$3" raw="$4"
  flite -voice "$voice" -t "$text" -o "$raw"
  sox -R "$raw" -b 16 -e signed-integer -c 1 "$out" \
    silence 1 0.02 -50d reverse silence 1 0.02 -50d reverse \
    rate -v "$SAMPLE_RATE" \
    gain -n "$PEAK_DBFS" \
    pad "$EDGE_PAD_S" "$EDGE_PAD_S"
}

# render LIST VOICE DIR NAME_PREFIX DIGITS [TSV]: one wav per sentence, named
# PREFIX + zero-padded 1-based index, and a "file<TAB>text" line for each in TSV
# (default DIR/texts.tsv).
render() {
  local list="$1" voice="$2" dir="$3" prefix="$4" digits="$5" tsv="${6:-$3/texts.tsv}"
  mkdir -p "$dir"
  local i=0 text name
  while IFS= read -r text; do
    i=$((i + 1))
    printf -v name '%s%0*d.wav' "$prefix" "$digits" "$i"
    synthesise "$voice" "$text" "$dir/$name" "$STAGE/raw.wav"
    printf '%s\t%s\n' "$name" "$text" >>"$tsv"
  done < <(sentences "$list")
  echo "  $(basename "$list") -> ${dir#"$STAGE"/} ($i files, voice $voice)"
}

# Sum of durations (seconds) of the wav files given.
total_seconds() {
  printf '%.1f' "$(soxi -T -D "$@")"
}

# 192.3 -> "3 min 12.3 s"
minutes_seconds() {
  awk -v s="$1" 'BEGIN { m = int(s / 60); printf "%d min %.1f s", m, s - 60 * m }'
}

stats_row() {
  local folder="$1" voice="$2"; shift 2
  local secs; secs="$(total_seconds "$@")"
  printf '| `%s` | %s | %d | %s s (%s) |\n' "$folder" "$voice" "$#" "$secs" "$(minutes_seconds "$secs")"
}

write_readme() {
  local stats
  stats="$(
    echo '| folder | voice | files | total duration |'
    echo '|---|---|---|---|'
    stats_row alice/ "$ALICE_VOICE" "$STAGE"/alice/*.wav
    stats_row bob/ "$BOB_VOICE" "$STAGE"/bob/*.wav
    stats_row dev/alice/ "$ALICE_VOICE" "$STAGE"/dev/alice/*.wav
    stats_row dev/bob/ "$BOB_VOICE" "$STAGE"/dev/bob/*.wav
    stats_row demo/ "$ALICE_VOICE + $BOB_VOICE" "$STAGE"/demo/*.wav
  )"
  local flite_version sox_version
  # flite --version exits non-zero, so capture its text before parsing it.
  flite_version="$(flite --version 2>&1 || true)"
  flite_version="$(grep -o 'flite-[^ ]*' <<<"$flite_version" | head -n1 || true)"
  sox_version="$(sox --version 2>&1 || true)"
  sox_version="$(grep -o 'v[0-9][0-9.]*' <<<"$sox_version" | head -n1 || true)"
  # awk, not sed: the stats table contains characters sed would treat specially.
  awk -v stats="$stats" -v flite="$flite_version" -v sox="SoX $sox_version" '
    /^@STATS@$/ { print stats; next }
    { gsub(/@FLITE_VERSION@/, flite); gsub(/@SOX_VERSION@/, sox); print }
  ' "$LISTS/README.template.md" >"$STAGE/README.md"
}

check_lists_disjoint "$LISTS"/alice.txt "$LISTS"/bob.txt "$LISTS"/dev.txt "$LISTS"/demo-alice.txt "$LISTS"/demo-bob.txt

# The staging folder sits beside samples/ (same filesystem, so the final mv is a
# rename) and matches the repository's *.tmp ignore rule.
STAGE="$(mktemp -d "$ROOT/.samples.XXXXXX.tmp")"
trap 'rm -rf "$STAGE"' EXIT

echo "make-samples: synthesising into $STAGE"
render "$LISTS/alice.txt" "$ALICE_VOICE" "$STAGE/alice" alice 3
render "$LISTS/bob.txt" "$BOB_VOICE" "$STAGE/bob" bob 3
render "$LISTS/dev.txt" "$ALICE_VOICE" "$STAGE/dev/alice" dev 2 "$STAGE/dev/texts.tsv"
# Both dev folders share file names and one texts.tsv; write the bob copy to a scratch tsv.
render "$LISTS/dev.txt" "$BOB_VOICE" "$STAGE/dev/bob" dev 2 "$STAGE/dev-bob.tsv"
rm "$STAGE/dev-bob.tsv"
render "$LISTS/demo-alice.txt" "$ALICE_VOICE" "$STAGE/demo" alice_demo 1
render "$LISTS/demo-bob.txt" "$BOB_VOICE" "$STAGE/demo" bob_demo 1
rm "$STAGE/raw.wav"

write_readme
bash "$ROOT/scripts/samples/verify.sh" "$STAGE"

# Swap the verified set into place; put the previous set back if that fails.
PREVIOUS="${STAGE%.tmp}.previous.tmp"
if [[ -e "$OUT" ]]; then
  mv "$OUT" "$PREVIOUS"
fi
if ! mv "$STAGE" "$OUT"; then
  [[ -e "$PREVIOUS" ]] && mv "$PREVIOUS" "$OUT"
  echo "make-samples: could not move the new set into $OUT; the previous one is unchanged" >&2
  exit 1
fi
rm -rf "$PREVIOUS"
echo "make-samples: wrote $OUT ($(du -sb "$OUT" | cut -f1) bytes)"
