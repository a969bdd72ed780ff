#!/usr/bin/env bash
# Real human speech for evaluating and training voiceswap, from Debian's Asterisk sound
# packages (8 kHz telephone prompts read by professional voice actors):
#
#   bash scripts/devsets/make-real-speech.sh [DATA_ROOT] [en] [es] [fr]
#   (default DATA_ROOT /root/vs-data, default parts: en es fr)
#
# en  DATA/real-en/NAME.wav + texts.tsv: ~30 prompts (>= 1.5 s, plain-English transcripts:
#     no digits, keys or letters) of the US-English core sounds (speaker "Allison", female),
#     for conversion checks and word error rate. Packages asterisk-core-sounds-en-wav (audio)
#     and asterisk-core-sounds-en (transcripts, core-sounds-en.txt).
# es  DATA/real-es/: a real speaker PAIR. A = Spanish core sounds (es_MX_f_Allison,
#     asterisk-core-sounds-es-wav, or -es-gsm decoded by sox), B = Colombian prompts by
#     July E. Jimenez (asterisk-prompt-es-co, GSM). They share ~270 prompt names. Split:
#       dev/a/NAME.wav, dev/b/NAME.wav   ~30 held-out shared prompts both read (same names),
#                                        chosen among whole-sentence prompts (no digits/...)
#                                        of 1.5-10 s whose A and B lengths agree within x1.5
#                                        (same name does not always mean the same words),
#       train/a/*.wav, train/b/*.wav     NON-parallel: every other shared name goes to
#                                        exactly one side, plus each side's own prompts.
#     SPLIT=balanced (default) hands the remaining shared names, in hash order, to the side
#     with less audio so far (B, the smaller set, gets most of them); SPLIT=half alternates
#     them between A and B. Each side is then capped at TRAIN_S seconds (default 600), taking
#     files in hash order. Files under MIN_S (default 1.0 s of speech) and non-speech prompts
#     (silence/, beeps, tones, tt-monkeys) are left out.
#     dev/texts.tsv has A's (core-sounds-es.txt) transcripts; manifest.tsv lists every file's
#     split, side, seconds and text; README.txt has rates, counts and durations.
# fr  DATA/real-fr/, the same layout: A = Canadian-French core sounds (fr_CA_f_June,
#     asterisk-core-sounds-fr-wav), B = Armelle Desjardins (asterisk-prompt-fr-armelle, GSM).
#
# Every file is 16-bit PCM mono WAV at the package's native rate (8000 Hz), leading and
# trailing silence trimmed, peak-normalised to -1 dBFS, 0.1 s padding (as samples/).
# Idempotent: packages are fetched once into DATA/.cache (apt-get download + dpkg-deb -x,
# nothing is installed); each set is rebuilt in a staging folder and swapped in.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
DATA="${1:-/root/vs-data}"
shift || true
PARTS="${*:-en es fr}"
N_EN="${N_EN:-30}"        # prompts in real-en
N_DEV="${N_DEV:-30}"      # held-out parallel prompts per pair
TRAIN_S="${TRAIN_S:-600}" # cap on each training side, seconds
MIN_S="${MIN_S:-1.0}"     # shortest speech (after trimming) kept, seconds
SPLIT="${SPLIT:-balanced}"
export LC_ALL=C
need sox soxi dpkg-deb apt-get md5sum
case "$SPLIT" in balanced | half) ;; *) echo "make-real-speech: SPLIT must be balanced or half" >&2; exit 1 ;; esac

pkg() { fetch_pkg "$DATA" "$1"; } # pkg NAME: unpack (once) and print its folder
# pkgs NAME...: "name version; ..." of packages already fetched.
pkgs() {
  local p
  for p in "$@"; do
    printf '%s %s; ' "$p" "$(find "$DATA/.cache/debs" -maxdepth 1 -name "${p}_*.deb" -printf '%f\n' | head -n1 | cut -d_ -f2)"
  done
}

# transcripts TXT_GZ: "name<TAB>text" for every "name: text" line of an Asterisk core-sounds
# transcript file (comments and empty texts skipped).
transcripts() {
  zcat "$1" | tr -d '\r' | sed -n 's/^\([^ ;:][^ :]*\): *\(.*[^ ]\) *$/\1\t\2/p'
}

# list_audio DIR EXT: relative names (without extension) of the regular EXT files under DIR.
list_audio() {
  (cd "$1" && find . -type f -name "*.$2" | sed 's|^\./||; s|\.[^.]*$||' | sort -u)
}

flat() { tr '/' '_' <<<"$1"; }

# Non-speech prompts: silence files, beeps and tones, the monkeys.
is_nonspeech() {
  [[ "$1" =~ ^silence/ || "$1" =~ ^(beep|beeperr|tt-monkeys)$ || "$1" =~ tone$ ]]
}

# ---------------------------------------------------------------- en
make_en() {
  local doc wav
  doc="$(pkg asterisk-core-sounds-en)/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
  wav="$(pkg asterisk-core-sounds-en-wav)/usr/share/asterisk/sounds/en_US_f_Allison"
  local final="$DATA/real-en" stage
  stage="$(stage_dir "$final")"
  trap "rm -rf '$stage'" EXIT
  mkdir -p "$stage/pool"
  # Candidates: whole-word prompts; no digits, keys, brackets, spelled letters or "..."
  # fragments.
  local name text out d bad='[][()0-9#*]|\.\.\.'

  : >"$stage/cand.tsv"
  while IFS=$'\t' read -r name text; do
    [[ "$name" =~ ^(digits|letters|phonetic|silence|dictate)/ ]] && continue
    [[ "$text" =~ $bad ]] && continue
    [[ -f "$wav/$name.wav" ]] || continue
    out="$stage/pool/$(flat "$name").wav"
    clean_wav "$wav/$name.wav" "$out"
    d="$(soxi -D "$out")"
    # 1.5 s of speech (the file has 0.2 s of padding) up to 8 s.
    if awk -v d="$d" 'BEGIN { exit !(d - 0.2 >= 1.5 && d <= 8.2) }'; then
      printf '%s\t%s\n' "$(flat "$name").wav" "$text" >>"$stage/cand.tsv"
    fi
  done < <(transcripts "$doc" | sort)
  local n k
  n="$(wc -l <"$stage/cand.tsv")"
  k=$((n / N_EN)); ((k >= 1)) || k=1
  # Every k-th candidate in name order: a spread over the whole prompt list.
  awk -F'\t' -v k="$k" -v max="$N_EN" '(NR - 1) % k == 0 && c < max { print; c++ }' "$stage/cand.tsv" >"$stage/texts.tsv"
  while IFS=$'\t' read -r name text; do mv "$stage/pool/$name" "$stage/$name"; done <"$stage/texts.tsv"
  rm -rf "$stage/pool" "$stage/cand.tsv"
  local files=("$stage"/*.wav)
  {
    echo "Real US-English speech: Asterisk core sounds, en_US_f_Allison (female), made by"
    echo "scripts/devsets/make-real-speech.sh from Debian packages asterisk-core-sounds-en-wav"
    echo "and asterisk-core-sounds-en (transcripts): $(pkgs asterisk-core-sounds-en-wav asterisk-core-sounds-en)"
    echo "Every ${k}-th of $n candidate prompts"
    echo "(1.5-8 s of speech, no digits/keys/letters/fragments), in name order."
    echo "files: ${#files[@]}, total $(seconds "${files[@]}") s, sample rate(s): $(soxi -r "${files[@]}" | sort -u | tr '\n' ' ')Hz"
  } >"$stage/README.txt"
  swap_in "$stage" "$final"
  trap - EXIT
  echo "make-real-speech: real-en: ${#files[@]} files, $(seconds "$final"/*.wav) s (of $n candidates) -> $final"
}

# ---------------------------------------------------------------- pairs
# make_pair OUT_NAME A_DIR A_EXT B_DIR B_EXT TRANSCRIPTS_GZ A_LABEL B_LABEL PACKAGES
make_pair() {
  local out_name="$1" adir="$2" aext="$3" bdir="$4" bext="$5" doc="$6" alabel="$7" blabel="$8" packages="$9"
  local final="$DATA/$out_name" stage
  stage="$(stage_dir "$final")"
  trap "rm -rf '$stage'" EXIT
  mkdir -p "$stage/pool/a" "$stage/pool/b"
  declare -A TEXT=() DA=() DB=()
  local name text side dir ext out
  while IFS=$'\t' read -r name text; do TEXT["$name"]="$text"; done < <(transcripts "$doc")
  # Clean every speech prompt of each side into the pool; note its speech duration.
  for side in a b; do
    if [[ $side == a ]]; then dir="$adir"; ext="$aext"; else dir="$bdir"; ext="$bext"; fi
    while IFS= read -r name; do
      is_nonspeech "$name" && continue
      [[ "${TEXT[$name]:-}" =~ ^\[.*\]$ ]] && continue
      out="$stage/pool/$side/$(flat "$name").wav"
      clean_wav "$dir/$name.$ext" "$out"
      d="$(awk -v d="$(soxi -D "$out")" 'BEGIN { printf "%.3f", d - 0.2 }')"
      if awk -v d="$d" -v m="$MIN_S" 'BEGIN { exit !(d >= m) }'; then
        if [[ $side == a ]]; then DA["$name"]="$d"; else DB["$name"]="$d"; fi
      else
        rm "$out"
      fi
    done < <(list_audio "$dir" "$ext")
  done
  # Shared names: present on both sides (before the length filter, so that a prompt one side
  # has as a short file still never reaches both training sets).
  comm -12 <(list_audio "$adir" "$aext") <(list_audio "$bdir" "$bext") >"$stage/shared.txt"
  comm -23 <(list_audio "$adir" "$aext") "$stage/shared.txt" >"$stage/a-only.txt"
  comm -23 <(list_audio "$bdir" "$bext") "$stage/shared.txt" >"$stage/b-only.txt"
  # Hash order: "key name" lines sorted by key.
  keyed() { while IFS= read -r n; do echo "$(name_key "$n") $n"; done | sort | cut -d' ' -f2-; }
  # Dev: whole-sentence shared prompts, both usable, lengths within x1.5, A 1.5-10 s.
  declare -A SPLITOF=()
  local ndev=0
  while IFS= read -r name; do
    ((ndev < N_DEV)) || break
    [[ "$name" == */* ]] && continue
    [[ -n "${DA[$name]:-}" && -n "${DB[$name]:-}" ]] || continue
    awk -v a="${DA[$name]}" -v b="${DB[$name]}" 'BEGIN { r = b / a; exit !(r >= 1 / 1.5 && r <= 1.5 && a >= 1.5 && a <= 10) }' || continue
    SPLITOF["$name"]=dev
    ndev=$((ndev + 1))
  done < <(keyed <"$stage/shared.txt")
  # Training: own prompts, then the remaining shared names handed out in hash order.
  local ta=0 tb=0 i=0
  declare -A SIDE=()
  while IFS= read -r name; do [[ -n "${DA[$name]:-}" ]] && { SIDE["$name"]=a; ta="$(awk -v x="$ta" -v y="${DA[$name]}" 'BEGIN{print x+y}')"; }; done <"$stage/a-only.txt"
  while IFS= read -r name; do [[ -n "${DB[$name]:-}" ]] && { SIDE["$name"]=b; tb="$(awk -v x="$tb" -v y="${DB[$name]}" 'BEGIN{print x+y}')"; }; done <"$stage/b-only.txt"
  while IFS= read -r name; do
    [[ -n "${SPLITOF[$name]:-}" ]] && continue
    local to
    if [[ $SPLIT == half ]]; then
      if ((i % 2 == 0)); then to=a; else to=b; fi
      i=$((i + 1))
    else
      # balanced: to the side with less audio so far, if that side has a usable file.
      if awk -v a="$ta" -v b="$tb" 'BEGIN { exit !(a <= b) }'; then to=a; else to=b; fi
      if [[ $to == a && -z "${DA[$name]:-}" ]]; then to=b; fi
      if [[ $to == b && -z "${DB[$name]:-}" ]]; then to=a; fi
    fi
    SIDE["$name"]="$to"
    if [[ $to == a && -n "${DA[$name]:-}" ]]; then ta="$(awk -v x="$ta" -v y="${DA[$name]}" 'BEGIN{print x+y}')"; fi
    if [[ $to == b && -n "${DB[$name]:-}" ]]; then tb="$(awk -v x="$tb" -v y="${DB[$name]}" 'BEGIN{print x+y}')"; fi
  done < <(keyed <"$stage/shared.txt")
  # Place the files: dev pairs, then each training side capped at TRAIN_S in hash order.
  mkdir -p "$stage/dev/a" "$stage/dev/b" "$stage/train/a" "$stage/train/b"
  printf 'split\tside\tfile\tspeech_seconds\tname\ttext (A transcript)\n' >"$stage/manifest.tsv"
  : >"$stage/dev/texts.tsv"
  while IFS= read -r name; do
    [[ "${SPLITOF[$name]:-}" == dev ]] || continue
    local f
    f="$(flat "$name").wav"
    mv "$stage/pool/a/$f" "$stage/dev/a/$f"
    mv "$stage/pool/b/$f" "$stage/dev/b/$f"
    printf '%s\t%s\n' "$f" "${TEXT[$name]:-}" >>"$stage/dev/texts.tsv"
    printf 'dev\ta\t%s\t%s\t%s\t%s\n' "$f" "${DA[$name]}" "$name" "${TEXT[$name]:-}" >>"$stage/manifest.tsv"
    printf 'dev\tb\t%s\t%s\t%s\t%s\n' "$f" "${DB[$name]}" "$name" "${TEXT[$name]:-}" >>"$stage/manifest.tsv"
  done < <(sort "$stage/shared.txt")
  local s total d f
  for s in a b; do
    total=0
    while IFS= read -r name; do
      [[ "${SIDE[$name]:-}" == "$s" ]] || continue
      if [[ $s == a ]]; then d="${DA[$name]:-}"; else d="${DB[$name]:-}"; fi
      [[ -n "$d" ]] || continue
      awk -v t="$total" -v c="$TRAIN_S" 'BEGIN { exit !(t < c) }' || break
      f="$(flat "$name").wav"
      mv "$stage/pool/$s/$f" "$stage/train/$s/$f"
      total="$(awk -v x="$total" -v y="$d" 'BEGIN{print x+y}')"
      printf 'train\t%s\t%s\t%s\t%s\t%s\n' "$s" "$f" "$d" "$name" "${TEXT[$name]:-}" >>"$stage/manifest.tsv"
    done < <(cat "$stage/shared.txt" "$stage/a-only.txt" "$stage/b-only.txt" | keyed)
  done
  # Checks: training sides share no prompt name; dev names are in neither training side.
  local clash
  clash="$(comm -12 <(ls "$stage/train/a") <(ls "$stage/train/b"))"
  [[ -z "$clash" ]] || { echo "make-real-speech: $out_name: parallel training files: $clash" >&2; exit 1; }
  clash="$(cat <(ls "$stage/train/a") <(ls "$stage/train/b") | sort | comm -12 - <(ls "$stage/dev/a"))"
  [[ -z "$clash" ]] || { echo "make-real-speech: $out_name: dev files in training: $clash" >&2; exit 1; }
  local nshared nao nbo
  nshared="$(wc -l <"$stage/shared.txt")"; nao="$(wc -l <"$stage/a-only.txt")"; nbo="$(wc -l <"$stage/b-only.txt")"
  rm -rf "$stage/pool" "$stage/shared.txt" "$stage/a-only.txt" "$stage/b-only.txt"
  row() { # row FOLDER: "folder: N files, S s (M min), rates"
    local files=("$stage/$1"/*.wav)
    printf '%-9s %3d files, %7.1f s (%4.1f min), sample rate %s Hz\n' "$1/" "${#files[@]}" \
      "$(seconds "${files[@]}")" "$(awk -v s="$(seconds "${files[@]}")" 'BEGIN{print s/60}')" \
      "$(soxi -r "${files[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//')"
  }
  {
    echo "Real speaker pair made by scripts/devsets/make-real-speech.sh"
    echo "A: $alabel"
    echo "B: $blabel"
    echo "Debian packages: $packages"
    echo "Prompt names: $nshared shared, $nao A-only, $nbo B-only (before filtering)."
    echo "Dev: $ndev shared whole-sentence prompts, hash order, A speech 1.5-10 s, A/B lengths within x1.5."
    echo "Training: non-parallel, split '$SPLIT', cap ${TRAIN_S} s per side, speech >= ${MIN_S} s,"
    echo "no silence/beep/tone prompts. Durations include 0.1 s padding at each end."
    echo
    row dev/a; row dev/b; row train/a; row train/b
  } >"$stage/README.txt"
  swap_in "$stage" "$final"
  trap - EXIT
  echo "make-real-speech: $out_name -> $final"
  sed -n '/^$/,$p' "$final/README.txt" | sed '/^$/d; s/^/  /'
}

make_es() {
  local doc adir aext bdir
  doc="$(pkg asterisk-core-sounds-es)/usr/share/doc/asterisk-core-sounds-es/core-sounds-es.txt.gz"
  if adir="$(pkg asterisk-core-sounds-es-wav 2>/dev/null)"; then aext=wav; else
    adir="$(pkg asterisk-core-sounds-es-gsm)"; aext=gsm
  fi
  adir="$adir/usr/share/asterisk/sounds/es_MX_f_Allison"
  bdir="$(pkg asterisk-prompt-es-co)/usr/share/asterisk/sounds/es"
  make_pair real-es "$adir" "$aext" "$bdir" gsm "$doc" \
    "Asterisk core sounds es_MX_f_Allison (Mexican Spanish, female; asterisk-core-sounds-es-$aext)" \
    "Colombian Spanish prompts, July E. Jimenez (female; asterisk-prompt-es-co, GSM)" \
    "$(pkgs asterisk-core-sounds-es "asterisk-core-sounds-es-$aext" asterisk-prompt-es-co)"
}

make_fr() {
  local doc adir bdir
  doc="$(pkg asterisk-core-sounds-fr)/usr/share/doc/asterisk-core-sounds-fr/core-sounds-fr.txt.gz"
  adir="$(pkg asterisk-core-sounds-fr-wav)/usr/share/asterisk/sounds/fr_CA_f_June"
  bdir="$(pkg asterisk-prompt-fr-armelle)/usr/share/asterisk/sounds/fr"
  make_pair real-fr "$adir" wav "$bdir" gsm "$doc" \
    "Asterisk core sounds fr_CA_f_June (Canadian French, female; asterisk-core-sounds-fr-wav)" \
    "French prompts by Armelle Desjardins (female; asterisk-prompt-fr-armelle, GSM)" \
    "$(pkgs asterisk-core-sounds-fr asterisk-core-sounds-fr-wav asterisk-prompt-fr-armelle)"
}

for part in $PARTS; do
  case "$part" in
    en) make_en ;;
    es) make_es ;;
    fr) make_fr ;;
    *) echo "make-real-speech: unknown part '$part' (en, es, fr)" >&2; exit 1 ;;
  esac
done
