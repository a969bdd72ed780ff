# Shared helpers for scripts/devsets/*.sh (sourced, not run).
# Everything is written under the data root given to the scripts (default /root/vs-data),
# never into the repository.

# need TOOL...: stop with an install hint when a tool is missing.
need() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "devsets: '$tool' not found (apt-get install sox flite dpkg apt)" >&2
      exit 1
    fi
  done
}

# fetch_pkg DATA PKG: download Debian package PKG once into DATA/.cache/debs (apt-get
# download, no installation) and unpack it once into DATA/.cache/pkgs/PKG; prints that folder.
# A re-run reuses both. Delete DATA/.cache to fetch again.
fetch_pkg() {
  local data="$1" pkg="$2"
  local debs="$data/.cache/debs" dir="$data/.cache/pkgs/$pkg"
  mkdir -p "$debs"
  if [[ ! -f "$dir/.unpacked" ]]; then
    local deb
    deb="$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)"
    if [[ -z "$deb" ]]; then
      # apt-get download writes into the current folder; that _apt cannot write to a
      # root-owned folder only costs a warning, filtered out here.
      (set -o pipefail; cd "$debs" && apt-get download -q "$pkg" 2>&1 |
        { grep -v '^W: Download is performed unsandboxed' || true; } >&2) || {
        echo "devsets: could not download Debian package '$pkg' (apt-get update first?)" >&2
        exit 1
      }
      deb="$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)"
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    dpkg-deb -x "$deb" "$dir"
    touch "$dir/.unpacked"
  fi
  echo "$dir"
}

# clean_wav IN OUT: any audio sox reads (WAV, GSM, ...) -> 16-bit signed PCM mono WAV at the
# input's own rate, leading/trailing silence trimmed (-50 dB), peak-normalised to -1 dBFS and
# 0.1 s of silence re-added at each end: the processing of scripts/make-samples.sh, without its
# resampling. -R makes sox's dither repeatable, so a re-run gives the same bytes.
clean_wav() {
  sox -R "$1" -b 16 -e signed-integer -c 1 "$2" \
    silence 1 0.02 -50d reverse silence 1 0.02 -50d reverse \
    gain -n -1 \
    pad 0.1 0.1
}

# seconds WAV...: total duration, 2 decimals.
seconds() {
  if [[ $# -eq 0 ]]; then echo 0; return; fi
  printf '%.2f' "$(soxi -T -D "$@")"
}

# stage_dir FINAL: a fresh staging folder beside FINAL (same filesystem); swap_in STAGE FINAL
# replaces FINAL by it, so an interrupted run never leaves a half-written set in place.
stage_dir() {
  mkdir -p "$(dirname "$1")"
  mktemp -d "$1.XXXXXX.tmp"
}
swap_in() {
  local stage="$1" final="$2"
  rm -rf "$final.old.tmp"
  if [[ -e "$final" ]]; then mv "$final" "$final.old.tmp"; fi
  mv "$stage" "$final"
  rm -rf "$final.old.tmp"
}

# name_key NAME: a stable pseudo-random sort key (first 8 hex digits of md5) for
# deterministic, name-order-independent splits.
name_key() {
  printf '%s' "$1" | md5sum | cut -c1-8
}
