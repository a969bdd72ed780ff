#!/usr/bin/env node
/**
 * The browser page's numbers: bundle sizes (npm run build:web) and the in-page conversion
 * time of samples/demo/alice_demo1.wav in headless Chromium next to the CLI's
 * (`voiceswap convert --backend wasm`, its --json wall_seconds), both measured by the
 * browser test (tests/web-ui.test.ts). Needs Chromium.
 *
 *   npm run bench:web [-- --screenshot docs/images/web-ui.png]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const shotAt = args.indexOf('--screenshot');
const tmp = mkdtempSync(join(tmpdir(), 'voiceswap-bench-web-'));
const out = join(tmp, 'web-bench.json');
try {
  execFileSync('npx', ['vitest', 'run', 'tests/web-ui.test.ts'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, VOICESWAP_WEB_BENCH: out, ...(shotAt >= 0 ? { VOICESWAP_SCREENSHOT: args[shotAt + 1] } : {}) },
  });
  let r;
  try {
    r = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    console.error('bench:web: the browser test wrote no timings (is Chromium installed? apt-get install chromium)');
    process.exit(1);
  }
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  console.log('bundle (dist/web):');
  for (const [name, n] of Object.entries(r.sizes)) console.log(`  ${name.padEnd(34)} ${kib(n).padStart(9)}`);
  console.log(`${r.clip} (${r.seconds.toFixed(2)} s of audio), conversion time:`);
  console.log(`  in the page (headless Chromium, tfjs wasm)  ${r.pageConvertSeconds.toFixed(2)} s`);
  console.log(`  CLI (voiceswap convert --backend wasm)      ${r.cliConvertSeconds.toFixed(2)} s`);
  console.log(`  page vs CLI log-mel: mean ${r.logMelMeanDb.toFixed(3)} dB`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
