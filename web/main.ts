/**
 * The page: picks a model and a WAV, hands them to the conversion worker, shows progress,
 * plays both versions, offers the result for download and draws both log-mels with the
 * library's colormap and axes (src/viz/spectrogram-pixels.ts: the same numbers as the
 * CLI's PNG pictures). All URLs are relative, so the built folder works from any static host.
 */
import {
  colorbarTicks,
  colormapLut,
  decibelRange,
  DEFAULT_DB_RANGE,
  frequencyAxis,
  frequencyTicks,
  lutIndex,
  spectrogramDecibels,
  spectrogramPixels,
  STYLE,
  timeTicks,
  type Box,
  type Direction,
  type Spectrogram,
  type Tick,
} from '../src/browser.js';
import type { FromWorker, ModelSource, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  modelFiles: $<HTMLInputElement>('model-files'),
  modelStatus: $('model-status'),
  direction: $<HTMLSelectElement>('direction'),
  semitones: $<HTMLInputElement>('semitones'),
  drop: $('drop'),
  wav: $<HTMLInputElement>('wav'),
  convert: $<HTMLButtonElement>('convert'),
  progress: $<HTMLProgressElement>('progress'),
  status: $('status'),
  error: $('error'),
  result: $('result'),
  before: $<HTMLAudioElement>('before'),
  after: $<HTMLAudioElement>('after'),
  download: $<HTMLAnchorElement>('download'),
  canvas: $<HTMLCanvasElement>('spectrograms'),
};

/** The page's state for people and for the browser test: starting, ready, converting, done, error. */
function setState(state: string): void {
  document.body.dataset.state = state;
}

function showError(message: string): void {
  ui.error.textContent = message;
  ui.progress.hidden = true;
  ui.status.textContent = '';
  setState('error');
}

const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const send = (message: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(message, transfer);

let modelLoaded: Promise<boolean> = Promise.resolve(false);
let resolveLoad: ((ok: boolean) => void) | undefined;
let current: File | undefined;
let objectUrls: string[] = [];

function loadModel(source: ModelSource): void {
  ui.modelStatus.textContent = `loading ${source.name}…`;
  ui.convert.disabled = true;
  setState('starting');
  modelLoaded = new Promise((resolve) => (resolveLoad = resolve));
  send({ type: 'load', source });
}

function loadShippedModel(): void {
  loadModel({ kind: 'url', jsonUrl: 'models/alice-bob/model.json', weightsUrl: 'models/alice-bob/weights.bin', name: 'alice-bob/model.json' });
}

async function loadOwnModel(files: FileList | null): Promise<void> {
  const list = [...(files ?? [])];
  const json = list.find((f) => f.name.endsWith('.json'));
  const bin = list.find((f) => f.name.endsWith('.bin'));
  if (!json || !bin) {
    ui.modelStatus.textContent = 'pick both files of the model: model.json and weights.bin (select them together)';
    return;
  }
  (document.querySelector('input[name=model][value=own]') as HTMLInputElement).checked = true;
  const [jsonText, weights] = await Promise.all([json.text(), bin.arrayBuffer()]);
  send({ type: 'load', source: { kind: 'bytes', jsonText, weights, name: json.name } }, [weights]);
  ui.modelStatus.textContent = `loading ${json.name}…`;
  modelLoaded = new Promise((resolve) => (resolveLoad = resolve));
}

async function convert(file: File): Promise<void> {
  current = file;
  ui.error.textContent = '';
  if (!(await modelLoaded)) {
    showError('no model loaded: see the model line above');
    return;
  }
  setState('converting');
  ui.convert.disabled = true;
  ui.progress.hidden = false;
  ui.progress.value = 0;
  ui.status.textContent = `converting ${file.name}…`;
  const wav = await file.arrayBuffer();
  send({ type: 'convert', wav, name: file.name, direction: ui.direction.value as Direction, semitones: Number(ui.semitones.value) || 0 }, [wav]);
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'loaded':
      ui.modelStatus.textContent = `model: ${m.description} on ${m.backend}`;
      ui.error.textContent = '';
      ui.convert.disabled = current === undefined;
      setState('ready');
      resolveLoad?.(true);
      break;
    case 'progress':
      ui.progress.value = m.done;
      ui.status.textContent = `${current?.name ?? ''}: ${m.stage}…`;
      break;
    case 'converted':
      showResult(m);
      break;
    case 'error':
      if (m.during === 'load') {
        ui.modelStatus.textContent = 'no model loaded';
        resolveLoad?.(false);
      }
      ui.convert.disabled = current === undefined;
      showError(m.message);
      break;
  }
};
worker.onerror = (event) => showError(`the conversion worker failed: ${event.message}`);

function showResult(m: Extract<FromWorker, { type: 'converted' }>): void {
  for (const url of objectUrls) URL.revokeObjectURL(url);
  const file = current!;
  const afterUrl = URL.createObjectURL(new Blob([m.wav], { type: 'audio/wav' }));
  const beforeUrl = URL.createObjectURL(file);
  objectUrls = [afterUrl, beforeUrl];
  ui.before.src = beforeUrl;
  ui.after.src = afterUrl;
  const direction = ui.direction.value;
  ui.download.href = afterUrl;
  ui.download.download = file.name.replace(/\.wav$/i, '') + `.${direction}.wav`;
  ui.progress.hidden = true;
  ui.status.textContent = `${file.name}: ${m.seconds.toFixed(2)} s of audio converted in ${(m.convertMs / 1000).toFixed(2)} s`;
  ui.result.hidden = false;
  ui.convert.disabled = false;
  drawSpectrograms(ui.canvas, [
    { spec: m.input, title: `Before: ${file.name}` },
    { spec: m.output, title: `After: ${direction}` },
  ], m);
  (window as unknown as { voiceswapResult: object }).voiceswapResult = { convertMs: m.convertMs, seconds: m.seconds, sampleRate: m.sampleRate };
  setState('done');
}

// ------------------------------------------------------------------ spectrograms on a canvas

interface Axes {
  hopLength: number;
  sampleRate: number;
  fMin: number;
  fMax: number;
}

function drawSpectrograms(canvas: HTMLCanvasElement, panels: Array<{ spec: Spectrogram; title: string }>, a: Axes): void {
  const dbs = panels.map((p) => spectrogramDecibels(p.spec, 'ln magnitude'));
  const range = decibelRange(dbs, DEFAULT_DB_RANGE); // one colour scale for both
  const rows = panels[0].spec.rows;
  const longest = Math.max(...panels.map((p) => p.spec.frames));
  const left = 70;
  const plotWidth = Math.min(760, Math.max(300, 3 * longest));
  const plotHeight = 170;
  const titleH = 22;
  const gap = 36;
  const width = left + plotWidth + 110;
  const height = panels.length * (titleH + plotHeight + gap) + 20;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(ratio, ratio);
  ctx.fillStyle = STYLE.background;
  ctx.fillRect(0, 0, width, height);
  const font = (px: number): string => `${px}px system-ui, sans-serif`;
  const axis = frequencyAxis('mel', rows, { kind: 'mel', sampleRate: a.sampleRate, hopLength: a.hopLength, fMin: a.fMin, fMax: a.fMax });
  const pxPerFrame = plotWidth / longest;
  const secondsPerFrame = a.hopLength / a.sampleRate;

  panels.forEach((panel, i) => {
    const y0 = i * (titleH + plotHeight + gap) + 8;
    const axes: Box = { x: left, y: y0 + titleH, width: plotWidth, height: plotHeight };
    const imageWidth = Math.max(1, Math.round(panel.spec.frames * pxPerFrame));
    // Pixels at device resolution: sharp on high-density screens.
    const w = Math.round(imageWidth * ratio);
    const h = Math.round(plotHeight * ratio);
    const image = new ImageData(spectrogramPixels(dbs[i], rows, panel.spec.frames, w, h, range, 'magma') as Uint8ClampedArray<ArrayBuffer>, w, h);
    ctx.fillStyle = STYLE.noData;
    ctx.fillRect(axes.x, axes.y, axes.width, axes.height);
    ctx.putImageData(image, Math.round(axes.x * ratio), Math.round(axes.y * ratio));
    ctx.strokeStyle = STYLE.ink;
    ctx.strokeRect(axes.x + 0.5, axes.y + 0.5, axes.width, axes.height);
    ctx.fillStyle = STYLE.ink;
    ctx.font = font(STYLE.labelFontPx);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(panel.title, axes.x + axes.width / 2, axes.y - 5);
    drawTicks(ctx, axes, timeTicks(axes, pxPerFrame, secondsPerFrame), 'bottom', font);
    drawTicks(ctx, axes, frequencyTicks(axis, axes, rows), 'left', font);
    ctx.font = font(12);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText('Time (s)', axes.x + axes.width / 2, axes.y + axes.height + 20);
    ctx.save();
    ctx.translate(14, axes.y + axes.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(axis.label, 0, -6);
    ctx.restore();
  });

  // The colour bar, with the same lookup table as the pixels.
  const top = 8 + titleH;
  const bar: Box = { x: left + plotWidth + 18, y: top, width: 14, height: height - top - 20 - gap };
  const lut = colormapLut('magma');
  for (let y = 0; y < bar.height; y++) {
    const k = 3 * lutIndex(1 - y / Math.max(1, bar.height - 1));
    ctx.fillStyle = `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})`;
    ctx.fillRect(bar.x, bar.y + y, bar.width, 1);
  }
  ctx.strokeStyle = STYLE.ink;
  ctx.strokeRect(bar.x + 0.5, bar.y + 0.5, bar.width, bar.height);
  drawTicks(ctx, bar, colorbarTicks(bar, range), 'right', font);
  ctx.save();
  ctx.translate(bar.x + bar.width + 62, bar.y + bar.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillStyle = STYLE.ink;
  ctx.font = font(12);
  ctx.fillText('dB (20·log10 mel magnitude)', 0, 0);
  ctx.restore();
}

function drawTicks(ctx: CanvasRenderingContext2D, box: Box, ticks: Tick[], side: 'bottom' | 'left' | 'right', font: (px: number) => string): void {
  const len = STYLE.tickLengthPx;
  ctx.strokeStyle = STYLE.ink;
  ctx.fillStyle = STYLE.ink;
  ctx.font = font(STYLE.tickFontPx - 1);
  ctx.beginPath();
  for (const t of ticks) {
    if (side === 'bottom') {
      ctx.moveTo(t.position, box.y + box.height);
      ctx.lineTo(t.position, box.y + box.height + len);
    } else {
      const x = side === 'left' ? box.x : box.x + box.width;
      ctx.moveTo(x, t.position);
      ctx.lineTo(side === 'left' ? x - len : x + len, t.position);
    }
  }
  ctx.stroke();
  ctx.textAlign = side === 'bottom' ? 'center' : side === 'left' ? 'right' : 'left';
  ctx.textBaseline = side === 'bottom' ? 'top' : 'middle';
  for (const t of ticks) {
    if (side === 'bottom') ctx.fillText(t.label, t.position, box.y + box.height + len + 2);
    else ctx.fillText(t.label, side === 'left' ? box.x - len - 3 : box.x + box.width + len + 3, t.position);
  }
}

// ------------------------------------------------------------------ wiring

ui.wav.addEventListener('change', () => {
  const file = ui.wav.files?.[0];
  if (file) void convert(file);
});
ui.convert.addEventListener('click', () => {
  if (current) void convert(current);
});
ui.modelFiles.addEventListener('change', () => void loadOwnModel(ui.modelFiles.files));
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=model]')) {
  radio.addEventListener('change', () => {
    if (radio.checked && radio.value === 'shipped') loadShippedModel();
    if (radio.checked && radio.value === 'own') void loadOwnModel(ui.modelFiles.files);
  });
}
for (const type of ['dragenter', 'dragover'] as const) {
  document.addEventListener(type, (e) => {
    e.preventDefault();
    ui.drop.classList.add('over');
  });
}
document.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void convert(file);
});
loadShippedModel();
