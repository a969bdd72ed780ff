#!/usr/bin/env bash
# The package is the product (issue 14): pack it, install the tarball into an empty project
# the way a user would, and run the README's first commands from the installed copy:
#   voiceswap --version            must equal package.json's version
#   voiceswap convert <installed>/samples/demo/alice_demo1.wav -o out.wav   (shipped model)
#   voiceswap ui --port 0          serves the page, the wasm binary and the model (HTTP 200s)
# and check out.wav is a valid, non-empty WAV. A file missing from package.json's "files"
# (the model, the demo clips, dist/, the worker script) fails it.
#
# Dependencies come from npm's cache when it has them (--prefer-offline), else the
# registry. The tarball's `install` script builds the optional native addon (or says in one
# line why not); `prepare` (tsc, a devDependency) does not run for a tarball install.
#   bash scripts/check-package.sh          (CI: .ci/run calls it after npm test)
#   KEEP=1 bash scripts/check-package.sh   keep the temporary folder for a look
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/voiceswap-pack-check.XXXXXX")
UI_PID=
cleanup() {
  # The ui server must not outlive the check, whatever way it ends.
  if [ -n "$UI_PID" ]; then kill "$UI_PID" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "check-package: kept $WORK"; fi
}
trap cleanup EXIT
fail() { echo "check-package: FAIL: $*" >&2; exit 1; }

VERSION=$(node -p "require('./package.json').version")
echo "check-package: npm pack (voiceswap $VERSION)"
npm pack --silent --pack-destination "$WORK" >"$WORK/pack.log" 2>&1 || { cat "$WORK/pack.log" >&2; fail "npm pack failed"; }
TGZ=$(ls "$WORK"/voiceswap-*.tgz)

mkdir "$WORK/project"
cd "$WORK/project"
printf '{ "name": "voiceswap-pack-check", "version": "1.0.0", "private": true, "type": "module" }\n' >package.json
echo "check-package: npm install $(basename "$TGZ") into an empty project"
# The addon build is the package's own business here: auto mode, whatever the caller set.
if ! env -u VOICESWAP_NATIVE npm install --prefer-offline --no-audit --no-fund --foreground-scripts "$TGZ" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  fail "npm install of the tarball failed"
fi
grep -h "voiceswap native kernels" "$WORK/install.log" || true
PKG="$WORK/project/node_modules/voiceswap"
[ -d "$PKG" ] || fail "node_modules/voiceswap is missing after the install"
[ ! -e "$PKG/node_modules/typescript" ] && [ ! -e "$WORK/project/node_modules/typescript" ] || fail "typescript (a devDependency) was installed"

GOT=$(npx --no-install voiceswap --version)
[ "$GOT" = "$VERSION" ] || fail "voiceswap --version printed '$GOT', package.json says '$VERSION'"
echo "check-package: voiceswap --version = $GOT"

DEMO="$PKG/samples/demo/alice_demo1.wav"
[ -f "$DEMO" ] || fail "the demo clip samples/demo/alice_demo1.wav is not in the package"
npx --no-install voiceswap convert "$DEMO" -o out.wav || fail "voiceswap convert with the shipped model failed"
node --input-type=module - "$WORK/project/out.wav" <<'NODE' || fail "out.wav is not a valid non-empty WAV"
import { readFileSync } from 'node:fs';
const path = process.argv[2];
const b = readFileSync(path);
const id = (at) => b.toString('latin1', at, at + 4);
if (b.length < 44 || id(0) !== 'RIFF' || id(8) !== 'WAVE') throw new Error(`${path}: not a RIFF/WAVE file`);
let off = 12, dataBytes = -1, rate = 0;
while (off + 8 <= b.length) {
  const size = b.readUInt32LE(off + 4);
  if (id(off) === 'fmt ') rate = b.readUInt32LE(off + 12);
  if (id(off) === 'data') { dataBytes = Math.min(size, b.length - off - 8); break; }
  off += 8 + size + (size & 1);
}
if (dataBytes <= 0) throw new Error(`${path}: no audio data`);
const seconds = dataBytes / 2 / rate;
if (!(seconds > 3 && seconds < 5)) throw new Error(`${path}: ${seconds.toFixed(2)} s of audio, expected the demo's ~3.8 s`);
console.log(`check-package: out.wav is a WAV, ${rate} Hz, ${seconds.toFixed(2)} s`);
NODE
# The browser page: `voiceswap ui` from the installed copy serves the page, the wasm binary
# and the shipped model (the package's dist/web holds the page only: wasm/ and models/ are
# served from the installed tfjs-backend-wasm and models/alice-bob).
# Started through the installed bin link itself (not npx, whose child would outlive a kill of npx).
./node_modules/.bin/voiceswap ui --port 0 >ui.log 2>&1 &
UI_PID=$!
for _ in $(seq 50); do grep -q 'voiceswap ui: http' ui.log && break; sleep 0.2; done
URL=$(grep -o 'http://127.0.0.1:[0-9]*/' ui.log | head -1)
[ -n "$URL" ] || { cat ui.log >&2; fail "voiceswap ui did not start"; }
for path in '' main.js worker.js wasm/tfjs-backend-wasm-simd.wasm models/alice-bob/model.json models/alice-bob/weights.bin; do
  node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$URL$path" \
    || fail "voiceswap ui does not serve /$path"
done
kill "$UI_PID"
wait "$UI_PID" 2>/dev/null || true
UI_PID=
echo "check-package: voiceswap ui serves the page, the wasm binary and the model"
echo "check-package: OK"
