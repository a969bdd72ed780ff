/**
 * The browser page in a real browser: build it (npm run build:web), start `voiceswap ui`
 * on a free port, convert samples/demo/alice_demo1.wav (a2b) in headless Chromium through
 * the page's file input, and compare with `voiceswap convert --backend wasm` on the same
 * file; a broken WAV must show one error line. Needs Chromium (Debian: apt-get install
 * chromium; or CHROMIUM_PATH); skipped with one line without it.
 *
 * Env: VOICESWAP_SCREENSHOT=path saves a screenshot of the page with the result;
 * VOICESWAP_WEB_BENCH=path writes the timings as JSON (scripts/bench-web.mjs).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { DEFAULT_FEATURE_CONFIG } from '../src/audio/config.js';
import { logMelSpectrogram } from '../src/audio/features.js';
import { decodeWav } from '../src/audio/wav-codec.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && existsSync(p));
if (!CHROMIUM) console.warn('web-ui: skipped: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');

const DEMO = 'samples/demo/alice_demo1.wav';
const DB_PER_NEPER = 20 / Math.LN10;

/** Mean absolute difference of two log-mels in dB, over the frames both have. */
function logMelDistanceDb(a: Float32Array, b: Float32Array): { meanDb: number; p99Db: number } {
  const fa = logMelSpectrogram(a, DEFAULT_FEATURE_CONFIG);
  const fb = logMelSpectrogram(b, DEFAULT_FEATURE_CONFIG);
  const frames = Math.min(fa.frames, fb.frames);
  const diffs: number[] = [];
  for (let r = 0; r < fa.rows; r++) {
    for (let f = 0; f < frames; f++) diffs.push(DB_PER_NEPER * Math.abs(fa.data[r * fa.frames + f] - fb.data[r * fb.frames + f]));
  }
  diffs.sort((x, y) => x - y);
  return { meanDb: diffs.reduce((s, d) => s + d, 0) / diffs.length, p99Db: diffs[Math.floor(0.99 * (diffs.length - 1))] };
}

describe.skipIf(!CHROMIUM)('the browser page (voiceswap ui) in headless Chromium', () => {
  let tmp: string;
  let server: ChildProcess | undefined;
  let url: string;
  let browser: Browser;
  let page: Page;
  let cli: { samples: Float32Array; wallSeconds: number };

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'voiceswap-web-'));
    execFileSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'pipe' });
    server = spawn(process.execPath, ['bin/voiceswap.js', 'ui', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server!.stdout!.on('data', (d: Buffer) => {
        out += d;
        const m = /voiceswap ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      server!.once('exit', (code) => reject(new Error(`voiceswap ui exited with ${code}`)));
    });
    // The CLI's answer on the same file, on the same kind of backend as the page.
    const out = join(tmp, 'cli.wav');
    const json = execFileSync(process.execPath, ['bin/voiceswap.js', 'convert', DEMO, '-o', out, '--backend', 'wasm', '--jobs', '1', '--json'], { encoding: 'utf8' });
    cli = { samples: decodeWav(readFileSync(out), out).samples, wallSeconds: JSON.parse(json.trim().split('\n').pop()!).wall_seconds };
    const { launch } = await import('puppeteer-core');
    browser = await launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 900 });
    const offHost: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) offHost.push(r.url());
    });
    (page as unknown as { offHost: string[] }).offHost = offHost;
    await page.goto(url);
    await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('converts the demo clip (a2b) like the CLI: same length, log-mel within 0.1 dB on average', async () => {
    const input = await page.$('#wav');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(DEMO);
    await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 120_000 });
    expect(await page.$eval('#error', (e) => e.textContent)).toBe('');
    const { convertMs, base64 } = await page.evaluate(async () => {
      // Runs in the page (this file is type-checked without the DOM library).
      const g = globalThis as unknown as { document: { getElementById(id: string): { href: string } }; voiceswapResult: { convertMs: number } };
      const href = g.document.getElementById('download').href;
      const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { convertMs: g.voiceswapResult.convertMs, base64: btoa(s) };
    });
    const web = decodeWav(Buffer.from(base64, 'base64'), 'page result');
    expect(web.samples.length).toBe(cli.samples.length);
    // Same code, same default vocoder seed, same kernels (tfjs wasm + XNNPACK, 1 thread) on
    // both sides: the result is expected identical (measured 0.000 dB mean and p99). The
    // margin is for what may legitimately differ: Chromium's and Node's V8 (Math.exp/sin
    // builds) and SIMD code paths rounding differently, which Griffin-Lim's iterations and
    // the pitch tracker's voicing decisions can amplify locally. 0.1 dB mean is still far
    // below what a wrong direction, model or pitch shift gives (several dB).
    const d = logMelDistanceDb(web.samples, cli.samples);
    console.log(`web-ui: demo clip ${(web.samples.length / web.sampleRate).toFixed(2)} s: in-page conversion ${(convertMs / 1000).toFixed(2)} s, CLI (wasm) ${cli.wallSeconds.toFixed(2)} s; log-mel vs CLI: mean ${d.meanDb.toFixed(3)} dB, p99 ${d.p99Db.toFixed(3)} dB`);
    expect(d.meanDb).toBeLessThan(0.1);
    expect(await page.$eval('#after', (e) => (e as unknown as { src: string }).src)).toMatch(/^blob:/);
    expect((page as unknown as { offHost: string[] }).offHost).toEqual([]);
    const shot = process.env.VOICESWAP_SCREENSHOT;
    if (shot) {
      mkdirSync(dirname(shot), { recursive: true });
      await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
    }
    const bench = process.env.VOICESWAP_WEB_BENCH;
    if (bench) {
      const sizes = JSON.parse(readFileSync('dist/web/build-info.json', 'utf8')).sizes;
      writeFileSync(bench, JSON.stringify({ clip: DEMO, seconds: web.samples.length / web.sampleRate, pageConvertSeconds: convertMs / 1000, cliConvertSeconds: cli.wallSeconds, logMelMeanDb: d.meanDb, sizes }, null, 1));
    }
  }, 180_000);

  it('shows one readable error line for a broken WAV', async () => {
    const broken = join(tmp, 'broken.wav');
    writeFileSync(broken, Buffer.from('RIFF\x10\x00\x00\x00WAVEjunkjunkjunk', 'latin1'));
    const input = await page.$('#wav');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(broken);
    await page.waitForSelector('body[data-state=error]', { timeout: 30_000 });
    const error = await page.$eval('#error', (e) => e.textContent ?? '');
    console.log(`web-ui: broken WAV -> ${error}`);
    expect(error).toMatch(/^broken\.wav: /);
    expect(error).not.toContain('\n');
  });

  it("loads a user's own model from picked files, and refuses one with other features in one line", async () => {
    const other = join(tmp, 'other');
    mkdirSync(other);
    const json = JSON.parse(readFileSync('models/alice-bob/model.json', 'utf8'));
    json.extra.features.hopLength *= 2;
    writeFileSync(join(other, 'model.json'), JSON.stringify(json));
    const upload = async (files: string[]): Promise<void> => {
      await page.evaluate(() => {
        (globalThis as unknown as { document: { body: { dataset: { state: string } } } }).document.body.dataset.state = 'picking';
      });
      const input = await page.$('#model-files');
      await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(...files);
      await page.waitForSelector('body[data-state=ready], body[data-state=error]', { timeout: 60_000 });
    };
    await upload([join(other, 'model.json'), 'models/alice-bob/weights.bin']);
    const error = await page.$eval('#error', (e) => e.textContent ?? '');
    console.log(`web-ui: model with other features -> ${error}`);
    expect(error).toMatch(/^model\.json: model was trained with hopLength=\d+, this build uses hopLength=\d+/);
    await upload(['models/alice-bob/model.json', 'models/alice-bob/weights.bin']);
    expect(await page.$eval('#model-status', (e) => e.textContent)).toMatch(/^model: model\.json \(80 mel bands/);
  });
});
