import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { registerReport } from '../src/cli/report.js';
import { FileError } from '../src/errors.js';
import { evaluatePairs } from '../src/eval/evaluate.js';
import { customConfig } from '../src/model/presets.js';
import { collectRunReport, selectSamplePoints } from '../src/report/collect.js';
import { escapeHtml, renderReportHtml } from '../src/report/html.js';
import { writeRunReport } from '../src/report/report.js';
import { train } from '../src/train/train.js';
import { REPO, errorLine, runCli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'voiceswap-report-'));
const run = join(root, 'run');
const ITERATIONS = 2;
const SAMPLE_EVERY = 1;

/**
 * `count` shipped sample recordings (about 3 s each) of one speaker. Six are enough to hold
 * two out of training; with five, training converts the first file instead (both are tested,
 * and fewer clips keep the Griffin-Lim of the sample points quick).
 */
function speakerDir(speaker: string, count: number): string {
  const dir = join(root, speaker);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(join(REPO, 'samples', speaker)).filter((n) => n.endsWith('.wav')).slice(0, count)) {
    copyFileSync(join(REPO, 'samples', speaker, f), join(dir, f));
  }
  return dir;
}

const base64 = (file: string) => readFileSync(file).toString('base64');
const sampleDirs = () => readdirSync(join(run, 'samples')).sort();
const sampleFiles = (ext: string) => sampleDirs().flatMap((d) => readdirSync(join(run, 'samples', d)).filter((f) => f.endsWith(ext)).map((f) => join(run, 'samples', d, f)));

/** Elements that have no closing tag in HTML. */
const VOID_ELEMENTS = new Set(['meta', 'img', 'br', 'hr', 'link', 'source', 'input', 'col', 'wbr']);

/** Every opened element is closed, in order; returns the first problem or null. */
function tagBalanceProblem(html: string): string | null {
  const stack: string[] = [];
  const body = html.replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
    const [, closing, rawName] = m;
    const name = rawName.toLowerCase();
    if (VOID_ELEMENTS.has(name)) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) return `</${name}> at offset ${m.index} does not close the open element`;
  }
  return stack.length === 0 ? null : `unclosed: ${stack.join(', ')}`;
}

/** Run a `voiceswap report` command line in this process, as the CLI parses it. */
async function reportCommand(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerReport(program);
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'voiceswap', 'report', ...args]);
  } finally {
    spy.mockRestore();
  }
  return stderr;
}

beforeAll(async () => {
  await initBackend('wasm');
  await train({
    dirA: speakerDir('alice', 6),
    dirB: speakerDir('bob', 5),
    out: run,
    model: customConfig(1 / 32),
    iterations: ITERATIONS,
    batch: 1,
    frames: 16,
    seed: 3,
    resume: false,
    sampleEvery: SAMPLE_EVERY,
    checkpointEvery: ITERATIONS,
    keep: 1,
    log: () => {},
    warn: () => {},
  });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('report of a real (tiny) training run', () => {
  it('embeds the settings, the loss chart and every clip of every sample point', () => {
    const out = join(root, 'all.html');
    const written = writeRunReport(run, out);
    const html = readFileSync(out, 'utf8');
    expect(written.bytes).toBe(Buffer.byteLength(html));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(tagBalanceProblem(html)).toBeNull();

    // Nothing is fetched: every src/href is a data: URI or an in-page anchor.
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toMatch(/^(data:|#)/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/@import|url\(/);

    // Settings from run.json.
    const settings = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    expect(html).toContain(escapeHtml(settings.dirA));
    expect(html).toContain(escapeHtml(settings.heldOut.a[1]));
    expect(html).toContain(`<th scope="row">seed</th><td>3</td>`);
    expect(html).toContain(`<th scope="row">hopLength</th><td>${settings.features.hopLength}</td>`);

    // The loss chart is a PNG.
    const chart = /<img class="chart" src="data:image\/png;base64,([^"]+)"/.exec(html);
    expect(chart).not.toBeNull();
    expect(Buffer.from(chart![1], 'base64').subarray(1, 4).toString()).toBe('PNG');

    // Sample points at iterations 1 and 2, each with 3 clips (2 held out of A, B's first file):
    // one image and two players per clip.
    expect(written.report.allSampleIterations).toEqual([1, 2]);
    for (const iteration of [1, 2]) expect(html).toContain(`<section class="point" id="iter-${iteration}">\n<h3>Iteration ${iteration}`);
    const wavs = sampleFiles('.wav');
    const pngs = sampleFiles('.png');
    expect(wavs.length).toBe(2 * 3 * 2);
    expect(pngs.length).toBe(2 * 3);
    for (const wav of wavs) expect(html).toContain(`src="data:audio/wav;base64,${base64(wav)}"></audio>`);
    for (const png of pngs) {
      const iteration = Number(basename(join(png, '..')).slice('iter-'.length));
      expect(html).toContain(`<img src="data:image/png;base64,${base64(png)}" alt="${basename(png).split('.')[0]} at iteration ${iteration}: `);
    }
    // The source recordings, each once: A's held-out clips, and B's first file (none held out).
    expect(settings.heldOut.a.length).toBe(2);
    expect(settings.heldOut.b).toEqual([]);
    const firstOfB = join(settings.dirB, readdirSync(settings.dirB).sort()[0]);
    for (const file of [...settings.heldOut.a, firstOfB]) {
      expect(html.split(`src="data:audio/wav;base64,${base64(file)}"`).length - 1).toBe(1);
    }
    expect(html).toContain('also used in training');
    expect(html.match(/<audio /g)!.length).toBe(wavs.length + 3);
    expect(html).not.toContain('id="evaluation"');
  });

  it('--every and --last keep fewer sample points, always with the newest', async () => {
    const out = join(root, 'last.html');
    const stderr = await reportCommand([run, '--last', '1', '-o', out]);
    expect(stderr).toMatch(new RegExp(`^wrote ${out.replace(/[.\\/]/g, '\\$&')} \\(\\d+\\.\\d MB; 1 of 2 sample points\\)\\n$`));
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('id="iter-2"');
    expect(html).not.toContain('id="iter-1"');
    expect(html).toContain('1 of 2 sample points shown');

    expect(selectSamplePoints([500, 1000, 1500, 2000, 2500, 3000, 3500], { every: 3 })).toEqual([500, 2000, 3500]);
    expect(selectSamplePoints([500, 1000, 1500, 2000, 2500, 3000], { every: 4 })).toEqual([500, 2500, 3000]);
    expect(selectSamplePoints([3000, 500, 1000, 1500, 2000, 2500], { every: 2, last: 2 })).toEqual([2500, 3000]);
    expect(selectSamplePoints([500, 1000], { last: 5 })).toEqual([500, 1000]);
    expect(selectSamplePoints([], { every: 2, last: 1 })).toEqual([]);
  });

  it('shows the evaluation tables of RUN_DIR/eval/ and of --eval files', async () => {
    // A real `evaluate --json` report: the newest a2b conversions against the source clips.
    const newest = join(run, 'samples', sampleDirs().at(-1)!);
    const converted = join(root, 'converted');
    const targets = join(root, 'targets');
    mkdirSync(converted);
    mkdirSync(targets);
    for (const f of readdirSync(newest).filter((n) => /^alice\d+\.a2b\.wav$/.test(n))) copyFileSync(join(newest, f), join(converted, f));
    const settings = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    for (const f of settings.heldOut.a as string[]) copyFileSync(f, join(targets, basename(f)));
    const evaluation = evaluatePairs(converted, targets, { sourceDir: targets });
    mkdirSync(join(run, 'eval'), { recursive: true });
    writeFileSync(join(run, 'eval', 'iter-00000002.a2b.json'), JSON.stringify(evaluation, null, 2));
    const extra = join(root, 'extra-eval.json');
    writeFileSync(extra, JSON.stringify(evaluation));

    const out = join(root, 'eval.html');
    const stderr = await reportCommand([run, '--every', '2', '--eval', extra, '-o', out]);
    expect(stderr).toContain('2 evaluations');
    const html = readFileSync(out, 'utf8');
    expect(tagBalanceProblem(html)).toBeNull();
    expect(html).toContain('<h3>iter-00000002.a2b.json (iteration 2, A → B)</h3>');
    expect(html).toContain('<h3>extra-eval.json</h3>');
    expect(html).toContain('<caption>Overview</caption>');
    for (const row of evaluation.converted.rows) {
      expect(html).toContain(`<tr><th scope="row">${row.name}</th><td>${row.mcdDb.toFixed(2)}</td>`);
    }
    expect(html).toContain(`<tfoot><tr><th scope="row">mean (${evaluation.converted.total.files} files)</th><td>${evaluation.converted.total.mcdDb.toFixed(2)}</td>`);
    expect(html).toContain('unconverted (source vs target)');
    rmSync(join(run, 'eval'), { recursive: true });
  });

  it('escapes every text it puts into the page', () => {
    const report = collectRunReport(run, { last: 1 });
    const hostile = '/data/<script>alert("x")</script>&amp;';
    const html = renderReportHtml({ ...report, runDir: hostile, run: { ...report.run, dirA: hostile } });
    expect(html).not.toContain('<script>');
    expect(html).toContain(escapeHtml(hostile));
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(tagBalanceProblem(html)).toBeNull();
  });
});

describe('report errors', () => {
  it('a folder that is not a run, a missing folder, damaged run.json, a bad --eval file: one line naming the file', async () => {
    const notRun = join(root, 'not-a-run');
    mkdirSync(notRun);
    expect(() => collectRunReport(notRun)).toThrow(FileError);
    expect(() => collectRunReport(notRun)).toThrow(`${notRun}: not a voiceswap training run (no run.json)`);
    expect(() => collectRunReport(join(root, 'missing'))).toThrow(`${join(root, 'missing')}: no such folder`);
    writeFileSync(join(notRun, 'run.json'), '{"format": "something-else"}');
    expect(() => collectRunReport(notRun)).toThrow(`${join(notRun, 'run.json')}: not the settings of a voiceswap training run`);
    writeFileSync(join(notRun, 'run.json'), '{"format": ');
    expect(() => collectRunReport(notRun)).toThrow(`${join(notRun, 'run.json')}: cannot read run settings`);

    const bad = join(root, 'bad-eval.json');
    writeFileSync(bad, JSON.stringify({ targetDir: 'x', converted: { dir: 'y', rows: [{ name: 'a', mcdDb: 'high' }] } }));
    await expect(reportCommand([run, '--eval', bad])).rejects.toThrow(`${bad}: not a \`voiceswap evaluate --json\` report ("converted": row 1: "mcdDb" is not a number)`);
    await expect(reportCommand([run, '--eval', join(root, 'nope.json')])).rejects.toThrow(`${join(root, 'nope.json')}: no such file`);
    await expect(reportCommand([run, '--every', '0'])).rejects.toThrow(/--every must be an integer from 1/);
    await expect(reportCommand([run, '-o', join(run, 'run.json')])).rejects.toThrow(/refusing to overwrite input file/);
    await expect(reportCommand([run, '-o', join(root, 'no-folder', 'r.html')])).rejects.toThrow(`${join(root, 'no-folder', 'r.html')}: cannot write: directory does not exist`);
  });

  it('never writes the page over a file it is made from: run.json, losses, a sample, a source clip', async () => {
    const settings = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    const inputs = [join(run, 'run.json'), join(run, 'losses.jsonl'), join(run, 'losses.png'), sampleFiles('.wav')[0], sampleFiles('.png')[0], settings.heldOut.a[0]];
    for (const input of inputs) {
      const before = readFileSync(input);
      await expect(reportCommand([run, '-o', input]), input).rejects.toThrow(`${input}: refusing to overwrite input file`);
      expect(readFileSync(input).equals(before), input).toBe(true);
    }
  });

  it('the CLI prints one error line for a folder that is not a run', async () => {
    const r = await runCli(['report', root]);
    expect(r.status).toBe(1);
    expect(errorLine(r)).toBe(`voiceswap: error: ${root}: not a voiceswap training run (no run.json); give the --out folder of \`voiceswap train\``);
  });
});
