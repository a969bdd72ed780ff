#!/usr/bin/env bash
# Word error rate of a folder of WAVs with Debian's pocketsphinx, against a transcript list.
#
#   bash scripts/wer.sh DIR TEXTS.tsv [--json]
#   e.g. bash scripts/wer.sh samples/dev/alice samples/dev/texts.tsv
#
# TEXTS.tsv has one "FILE<TAB>TEXT" line per utterance (samples/dev/texts.tsv is one).
# Files pair with lines by name as in `voiceswap evaluate` (dev01.a2b.wav <-> dev01.wav).
# Prints each file's reference, hypothesis and WER, then the total WER (Σ errors / Σ words).
# Needs: apt-get install pocketsphinx pocketsphinx-en-us, and a build (npm run build).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 || ( $# -eq 3 && "$3" != "--json" ) ]]; then
  echo "usage: bash scripts/wer.sh DIR TEXTS.tsv [--json]" >&2
  exit 2
fi
if ! command -v pocketsphinx_continuous >/dev/null 2>&1; then
  echo "wer: pocketsphinx_continuous not found; install it with: apt-get install pocketsphinx pocketsphinx-en-us" >&2
  exit 1
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE="$ROOT/dist/src/eval/recognize.js"
if [[ ! -f "$MODULE" ]]; then
  echo "wer: $MODULE not found; build first with: npm run build" >&2
  exit 1
fi

node --input-type=module - "$MODULE" "$@" <<'JS'
const [moduleFile, dir, texts, format] = process.argv.slice(2);
const { werForDir, formatWerReport } = await import(new URL(`file://${moduleFile}`).href);
try {
  const report = werForDir(dir, texts);
  process.stdout.write(format === '--json' ? JSON.stringify(report, null, 2) + '\n' : formatWerReport(report));
} catch (err) {
  if (err?.name === 'VoiceswapError' || err?.name === 'FileError') {
    console.error(`wer: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
JS
