#!/usr/bin/env bash
# Word error rate of a folder of WAVs with Debian's pocketsphinx (a thin wrapper over
# `voiceswap wer`, kept for scripts that already call it).
#   bash scripts/wer.sh DIR TEXTS.tsv [--json]
# Needs: apt-get install pocketsphinx pocketsphinx-en-us, and `npm install` (which builds).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec node "$ROOT/bin/voiceswap.js" wer "$@"
