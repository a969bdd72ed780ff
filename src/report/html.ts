/**
 * The run report as one self-contained HTML page: inline CSS, images and audio as base64
 * data: URIs, no script, nothing fetched from anywhere, so it opens from disk or a mail.
 * Pure: the same RunReport always gives the same string.
 */
import { basename, extname } from 'node:path';
import { formatDuration } from '../util/duration.js';
import type { Direction } from '../convert/direction.js';
import { EVALUATION_COLUMNS, type Comparison } from '../eval/evaluate.js';
import type { EmbeddedFile, RunReport, SampleClip, SamplePoint, SourceClip } from './collect.js';
import type { EvaluationEntry } from './eval-files.js';

/** Text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function dataUri(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

const AUDIO_TYPES: Record<string, string> = { '.wav': 'audio/wav', '.flac': 'audio/flac', '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg' };

/** The id of a sample point's section. */
function samplePointId(iteration: number): string {
  return `iter-${iteration}`;
}

export function renderReportHtml(report: RunReport): string {
  const title = `voiceswap report: ${report.runDir}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    header(report),
    navigation(report),
    '<main>',
    lossSection(report),
    report.evaluations.length > 0 ? evaluationSection(report.evaluations) : '',
    sourceSection(report.sources),
    samplesSection(report),
    configSection(report),
    '</main>',
    `<footer>Made by <code>voiceswap report</code> on ${escapeHtml(report.generatedAt)}.</footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(report: RunReport): string {
  const { run, progress } = report;
  const facts: string[] = [];
  if (progress) {
    const percent = (100 * progress.iteration) / run.schedule.total;
    facts.push(`iteration ${count(progress.iteration)} of ${count(run.schedule.total)} (${percent.toFixed(0)}%)`, `${formatDuration(progress.seconds)} of training`);
  } else {
    facts.push(`no iteration logged yet (of ${count(run.schedule.total)})`);
  }
  facts.push(`model ${run.model.preset} (width ×${run.model.scale})`);
  const shown = report.samplePoints.length;
  const total = report.allSampleIterations.length;
  facts.push(shown === total ? `${total} sample point${total === 1 ? '' : 's'}` : `${shown} of ${total} sample points shown`);
  return [
    '<header>',
    '<h1>voiceswap training report</h1>',
    `<p class="path">${escapeHtml(report.runDir)}</p>`,
    `<p class="facts">${facts.map(escapeHtml).join(' <span class="sep">·</span> ')}</p>`,
    '</header>',
  ].join('\n');
}

function navigation(report: RunReport): string {
  const links: [string, string][] = [['#losses', 'Losses']];
  if (report.evaluations.length > 0) links.push(['#evaluation', 'Evaluation']);
  links.push(['#config', 'Configuration'], ['#sources', 'Source clips'], ['#samples', 'Samples:']);
  const points = [...report.samplePoints].reverse().map((p) => [`#${samplePointId(p.iteration)}`, count(p.iteration)] as [string, string]);
  const link = ([href, text]: [string, string], cls = '') => `<a href="${escapeHtml(href)}"${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</a>`;
  return `<nav>${links.map((l) => link(l)).join('')}${points.map((l) => link(l, 'chip')).join('')}</nav>`;
}

// ---------------------------------------------------------------------------------------
// Configuration

function configSection(report: RunReport): string {
  const run = report.run as unknown as Record<string, unknown>;
  const scalars: [string, unknown][] = [];
  const groups: [string, Record<string, unknown>][] = [];
  for (const [key, value] of Object.entries(run)) {
    if (key === 'format') continue;
    if (isPlainObject(value)) groups.push([key, value]);
    else scalars.push([key, value]);
  }
  const table = (caption: string, rows: [string, unknown][]) =>
    [
      '<table class="kv">',
      `<caption>${escapeHtml(caption)}</caption>`,
      '<tbody>',
      ...rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${configValue(v)}</td></tr>`),
      '</tbody>',
      '</table>',
    ].join('\n');
  return [
    '<section id="config">',
    '<h2>Configuration <span class="note">run.json</span></h2>',
    '<div class="kv-grid">',
    table('run', scalars),
    ...groups.map(([name, value]) => table(name, Object.entries(value))),
    '</div>',
    '</section>',
  ].join('\n');
}

function configValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '<span class="muted">none</span>' : value.map((v) => escapeHtml(plainText(v))).join('<br>');
  return escapeHtml(plainText(value));
}

function plainText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

// ---------------------------------------------------------------------------------------
// Losses

function lossSection(report: RunReport): string {
  const parts = ['<section id="losses">', '<h2>Training losses</h2>', '<div class="losses">'];
  if (report.lossChart) {
    parts.push(`<img class="chart" src="${dataUri('image/png', report.lossChart)}" alt="training loss curves">`);
  } else {
    parts.push('<p class="muted">No losses logged yet.</p>');
  }
  const recent = report.recentLosses;
  if (recent) {
    const figure = (x: number | null) => (x === null ? '-' : x.toPrecision(4));
    const rows: [string, string][] = [
      ['G adversarial', figure(recent.means.gAdv)],
      ['cycle L1', figure(recent.means.cycle)],
      ['identity L1', figure(recent.means.identity)],
      ['D_A', figure(recent.means.dA)],
      ['D_B', figure(recent.means.dB)],
      ['learning rate G', recent.lrG.toExponential(2)],
      ['learning rate D', recent.lrD.toExponential(2)],
    ];
    parts.push(
      '<table class="grid recent">',
      `<caption>Mean over iterations ${escapeHtml(count(recent.fromIteration))}–${escapeHtml(count(recent.toIteration))}<br><span class="note">learning rates at the last</span></caption>`,
      `<tbody>${rows.map(([name, value]) => `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</tbody>`,
      '</table>',
    );
  }
  parts.push('</div>', '</section>');
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------
// Evaluation

function evaluationSection(entries: EvaluationEntry[]): string {
  const parts = ['<section id="evaluation">', '<h2>Dev-set evaluation</h2>'];
  if (entries.length > 1) parts.push(evaluationOverview(entries));
  for (const entry of entries) {
    const { report } = entry;
    const comparisons: [string, Comparison][] = [['converted', report.converted]];
    if (report.unconverted) comparisons.push(['unconverted (source vs target)', report.unconverted]);
    parts.push(
      '<div class="eval">',
      `<h3>${escapeHtml(evaluationTitle(entry))}</h3>`,
      meansTable(comparisons, report.targetDir),
      `<details><summary>Per file (${report.converted.rows.length} files)</summary>`,
      ...comparisons.map(([label, comparison]) => comparisonTable(label, comparison, report.targetDir)),
      '</details>',
      '</div>',
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** The headline: each comparison's means over its files, one row each. */
function meansTable(comparisons: [string, Comparison][], targetDir: string): string {
  const head = ['', ...EVALUATION_COLUMNS.map((c) => c.title)];
  const rows = comparisons.map(
    ([label, c]) =>
      `<tr><th scope="row" title="${escapeHtml(c.dir)}">${escapeHtml(label)}</th>${EVALUATION_COLUMNS.map((col) => `<td>${escapeHtml(col.cell(c.total))}</td>`).join('')}</tr>`,
  );
  return [
    '<div class="scroll">',
    '<table class="grid eval-table">',
    `<caption>Mean over files, against ${escapeHtml(targetDir)}</caption>`,
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
    '</div>',
  ].join('\n');
}

function evaluationTitle(entry: EvaluationEntry): string {
  const about = [entry.iteration !== null ? `iteration ${count(entry.iteration)}` : '', entry.direction ? directionLabel(entry.direction) : ''].filter(Boolean);
  return `${basename(entry.file)}${about.length > 0 ? ` (${about.join(', ')})` : ''}`;
}

/** One line per evaluation file: how the headline figures moved over training. */
function evaluationOverview(entries: EvaluationEntry[]): string {
  const mcd = (c: Comparison | null) => (c ? c.total.mcdDb.toFixed(2) : '-');
  const rows = entries.map((e) => {
    const cells = [
      basename(e.file),
      e.iteration !== null ? count(e.iteration) : '-',
      e.direction ? directionLabel(e.direction) : '-',
      String(e.report.converted.total.files),
      mcd(e.report.converted),
      mcd(e.report.unconverted),
    ];
    return `<tr>${cells.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`;
  });
  const head = ['report', 'iteration', 'direction', 'files', 'MCD dB converted', 'MCD dB unconverted'];
  return [
    '<table class="grid">',
    '<caption>Overview</caption>',
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.join('')}</tbody>`,
    '</table>',
  ].join('\n');
}

function comparisonTable(label: string, comparison: Comparison, targetDir: string): string {
  const head = ['file', ...EVALUATION_COLUMNS.map((c) => c.title)];
  const row = (name: string, cells: string[]) => `<tr><th scope="row">${escapeHtml(name)}</th>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  const total = comparison.total;
  const notes = [`frame-weighted MCD ${total.mcdFrameWeightedDb.toFixed(2)} dB over ${total.alignedFrames} aligned frames`];
  if (comparison.unmatched?.length) notes.push(`no target for: ${comparison.unmatched.join(', ')}`);
  if (comparison.unmatchedTargets?.length) notes.push(`targets without a file here: ${comparison.unmatchedTargets.join(', ')}`);
  return [
    '<div class="scroll">',
    '<table class="grid eval-table">',
    `<caption>${escapeHtml(label)}: ${escapeHtml(comparison.dir)} vs target ${escapeHtml(targetDir)}</caption>`,
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${comparison.rows.map((r) => row(r.name, EVALUATION_COLUMNS.map((c) => c.cell(r)))).join('\n')}</tbody>`,
    `<tfoot>${row(`mean (${total.files} files)`, EVALUATION_COLUMNS.map((c) => c.cell(total)))}</tfoot>`,
    '</table>',
    '</div>',
    `<p class="note">${notes.map(escapeHtml).join('<br>')}</p>`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------
// Source clips and sample points

function sourceSection(sources: SourceClip[]): string {
  const cards = sources.map((s, i) => {
    const speaker = s.speaker === 'a' ? 'speaker A' : 'speaker B';
    const role = s.heldOut ? 'held out of training' : 'also used in training (too few files to hold one out)';
    return [
      `<div class="source" id="${sourceId(i)}">`,
      `<h3>${escapeHtml(s.name)} <span class="note">${escapeHtml(speaker)}</span></h3>`,
      s.audio ? audioPlayer(s.audio) : `<p class="missing">${escapeHtml(s.file)} no longer exists</p>`,
      `<p class="note" title="${escapeHtml(s.file)}">${escapeHtml(role)}</p>`,
      '</div>',
    ].join('\n');
  });
  return [
    '<section id="sources">',
    '<h2>Source clips</h2>',
    '<p class="note">The recordings converted at every sample point, as they sound before conversion.</p>',
    sources.length > 0 ? `<div class="sources">${cards.join('\n')}</div>` : '<p class="muted">No source clip found (the data folders of run.json have moved).</p>',
    '</section>',
  ].join('\n');
}

function sourceId(index: number): string {
  return `source-${index}`;
}

function samplesSection(report: RunReport): string {
  const shown = report.samplePoints.length;
  const total = report.allSampleIterations.length;
  const intro =
    total === 0
      ? 'No sample point yet: training writes one every --sample-every iterations.'
      : shown === total
        ? 'Newest first. Each clip: source, converted and reconstructed (converted back) log-mel spectrograms.'
        : `Newest first; ${shown} of ${total} sample points (chosen with --every / --last). Each clip: source, converted and reconstructed log-mel spectrograms.`;
  const sourceIndex = new Map(report.sources.map((s, i) => [`${s.name}.${s.speaker === 'a' ? 'a2b' : 'b2a'}`, i]));
  return [
    '<section id="samples">',
    '<h2>Samples</h2>',
    `<p class="note">${escapeHtml(intro)}</p>`,
    ...[...report.samplePoints].reverse().map((p) => samplePoint(p, sourceIndex)),
    '</section>',
  ].join('\n');
}

function samplePoint(point: SamplePoint, sourceIndex: Map<string, number>): string {
  const when = point.seconds !== null ? ` <span class="note">after ${escapeHtml(formatDuration(point.seconds))} of training</span>` : '';
  return [
    `<section class="point" id="${samplePointId(point.iteration)}">`,
    `<h3>Iteration ${escapeHtml(count(point.iteration))}${when}</h3>`,
    point.clips.length > 0 ? point.clips.map((c) => sampleClip(c, point.iteration, sourceIndex.get(`${c.name}.${c.direction}`))).join('\n') : '<p class="muted">This sample folder holds no clips.</p>',
    '</section>',
  ].join('\n');
}

function sampleClip(clip: SampleClip, iteration: number, source: number | undefined): string {
  const forward = directionLabel(clip.direction);
  const [from, to] = clip.direction === 'a2b' ? ['A', 'B'] : ['B', 'A'];
  const player = (label: string, file: EmbeddedFile | null) =>
    `<div class="player"><span class="label">${escapeHtml(label)}</span>${file ? audioPlayer(file) : '<span class="missing">missing</span>'}</div>`;
  return [
    '<div class="clip">',
    `<h4>${escapeHtml(clip.name)} <span class="note">${escapeHtml(forward)}</span>${source !== undefined ? ` <a class="note" href="#${sourceId(source)}">source audio</a>` : ''}</h4>`,
    clip.png
      ? `<img src="${dataUri('image/png', clip.png.bytes)}" alt="${escapeHtml(`${clip.name} at iteration ${iteration}: source, converted and reconstructed spectrograms`)}">`
      : '<p class="missing">spectrogram image missing</p>',
    '<div class="players">',
    player(`converted (${from} → ${to})`, clip.converted),
    player(`reconstructed (${from} → ${to} → ${from})`, clip.reconstructed),
    '</div>',
    '</div>',
  ].join('\n');
}

function audioPlayer(file: EmbeddedFile): string {
  const mime = AUDIO_TYPES[extname(file.name).toLowerCase()] ?? 'application/octet-stream';
  // preload="none": a page of dozens of embedded clips opens without decoding them all.
  return `<audio controls preload="none" title="${escapeHtml(file.name)}" src="${dataUri(mime, file.bytes)}"></audio>`;
}

function directionLabel(direction: Direction): string {
  return direction === 'a2b' ? 'A → B' : 'B → A';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

const CSS = `
:root { --fg: #1d2330; --muted: #667085; --line: #e3e6ec; --bg: #f6f7f9; --card: #fff; --accent: #0b62a4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { margin: 0; font-size: 26px; }
h2 { margin: 0 0 12px; font-size: 20px; }
h3 { margin: 0 0 10px; font-size: 17px; }
h4 { margin: 0 0 6px; font-size: 15px; }
.path { margin: 4px 0 0; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; color: var(--muted); word-break: break-all; }
.facts { margin: 6px 0 0; }
.sep { color: var(--muted); margin: 0 4px; }
.note { font-size: 13px; font-weight: normal; color: var(--muted); }
.muted { color: var(--muted); }
.missing { color: #b42318; font-size: 13px; margin: 4px 0; }
a { color: var(--accent); }
nav { position: sticky; top: 0; z-index: 1; margin-top: 16px; padding: 8px max(24px, calc((100% - 1232px) / 2)); background: rgba(246, 247, 249, 0.95); border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; font-size: 14px; }
nav a { text-decoration: none; }
nav a.chip { padding: 1px 8px; border: 1px solid var(--line); border-radius: 10px; background: var(--card); font-size: 13px; font-variant-numeric: tabular-nums; }
main > section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin: 18px 0; }
table { border-collapse: collapse; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 0 0 4px; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
.kv-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 14px 24px; align-items: start; }
.kv { width: 100%; }
.kv th { font-weight: normal; color: var(--muted); white-space: nowrap; width: 1%; }
.kv td { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; word-break: break-all; }
.grid { margin: 12px 0 4px; font-variant-numeric: tabular-nums; }
.grid td { text-align: right; }
.grid thead th { background: var(--bg); text-align: right; }
.grid thead th:first-child { text-align: left; }
.grid tfoot th, .grid tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
.scroll { overflow-x: auto; }
img { display: block; max-width: 100%; height: auto; }
.losses { display: flex; flex-wrap: wrap; gap: 16px 40px; align-items: center; }
.recent th { font-weight: normal; color: var(--muted); }
.eval { margin-top: 18px; }
details { margin-top: 6px; }
summary { cursor: pointer; color: var(--accent); font-size: 14px; }
.sources { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; }
.source { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.source p { margin: 4px 0 0; }
audio { width: 100%; height: 36px; }
.point { border-top: 1px solid var(--line); padding-top: 16px; margin-top: 16px; scroll-margin-top: 48px; }
.clip { margin: 0 0 20px; }
.clip img { border: 1px solid var(--line); border-radius: 4px; }
.players { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 8px 24px; margin-top: 6px; }
.player .label { display: block; font-size: 13px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; padding-bottom: 28px; }
`.trim();
