/**
 * Intelligibility check with an off-the-shelf recogniser: Debian's pocketsphinx
 * (`apt-get install pocketsphinx pocketsphinx-en-us`, CMU Sphinx 5prealpha with the
 * en-us acoustic model, language model and dictionary it installs as defaults).
 * Each WAV is converted to what pocketsphinx expects (16 kHz mono 16-bit PCM) with our
 * own reader and resampler, recognised with `pocketsphinx_continuous -infile`, and scored
 * against its transcript with the word error rate of wer.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAudio } from '../audio/load.js';
import { writeWav } from '../audio/wav.js';
import { VoiceswapError } from '../errors.js';
import { listWavFiles } from '../io/wav-files.js';
import { pairingKey, WAV_NAMES } from './evaluate.js';
import { errorCount, normalizeWords, readTexts, sumWordErrors, wordErrorRate, wordErrors, type WordErrors } from './wer.js';

export const POCKETSPHINX = 'pocketsphinx_continuous';
const POCKETSPHINX_RATE = 16000;
const INSTALL_HINT = 'install it with: apt-get install pocketsphinx pocketsphinx-en-us';

/** Null when pocketsphinx_continuous can be run, otherwise why not (for a skip or error message). */
export function pocketsphinxProblem(): string | null {
  const probe = spawnSync(POCKETSPHINX, ['-h'], { stdio: 'ignore' });
  const code = (probe.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `${POCKETSPHINX} not found; ${INSTALL_HINT}`;
  if (probe.error) return `${POCKETSPHINX} cannot be run (${code ?? probe.error.message})`;
  return null;
}

/** pocketsphinx's hypothesis for one WAV file (any rate or channel count voiceswap reads). */
export function transcribeWithPocketsphinx(wavPath: string): string {
  const audio = loadAudio(wavPath, POCKETSPHINX_RATE);
  const scratch = mkdtempSync(join(tmpdir(), 'voiceswap-asr-'));
  try {
    const input = join(scratch, 'input.wav');
    writeWav(input, audio.samples, POCKETSPHINX_RATE);
    const run = spawnSync(POCKETSPHINX, ['-infile', input, '-logfn', '/dev/null'], { encoding: 'utf8' });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new VoiceswapError(`${POCKETSPHINX} not found; ${INSTALL_HINT}`);
    if (run.error || run.status !== 0) {
      throw new VoiceswapError(`${POCKETSPHINX} failed on ${wavPath} (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr.trim()}`);
    }
    // One line per utterance segment it detected; the file's hypothesis is all of them.
    return run.stdout.split('\n').map((line) => line.trim()).filter(Boolean).join(' ');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface WerRow extends WordErrors {
  /** File name inside the folder, and the transcript line it was scored against. */
  file: string;
  reference: string;
  hypothesis: string;
  wer: number;
}

export interface WerReport {
  dir: string;
  textsPath: string;
  rows: WerRow[];
  /** Counts summed over the files; wer = Σ errors / Σ reference words. */
  total: WordErrors & { files: number; wer: number };
  /** Transcripts whose file is missing from the folder. */
  missing: string[];
}

/**
 * Recognise every .wav in dir that has a transcript in textsPath and score it. Files pair
 * with transcript lines by the rule of `voiceswap evaluate` (dev01.a2b.wav ↔ dev01.wav).
 */
export function werForDir(dir: string, textsPath: string, transcribe: (wavPath: string) => string = transcribeWithPocketsphinx): WerReport {
  const texts = readTexts(textsPath);
  const byKey = new Map<string, [string, string]>();
  for (const [file, text] of texts) byKey.set(pairingKey(file, false) ?? file, [file, text]);
  const rows: WerRow[] = [];
  const seen = new Set<string>();
  for (const file of listWavFiles(dir, WAV_NAMES)) {
    const key = pairingKey(file, true);
    const entry = key === null ? undefined : byKey.get(key);
    if (!entry) continue;
    seen.add(entry[0]);
    const hypothesis = transcribe(join(dir, file));
    const errors = wordErrors(normalizeWords(entry[1]), normalizeWords(hypothesis));
    rows.push({ file, reference: entry[1], hypothesis, ...errors, wer: wordErrorRate(errors) });
  }
  if (rows.length === 0) throw new VoiceswapError(`no .wav file in ${dir} is listed in ${textsPath}`);
  const summed = sumWordErrors(rows);
  const missing = [...texts.keys()].filter((file) => !seen.has(file));
  return { dir, textsPath, rows, total: { ...summed, files: rows.length, wer: wordErrorRate(summed) }, missing };
}

const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Per-file reference, hypothesis and WER, then the total. */
export function formatWerReport(report: WerReport): string {
  const lines: string[] = [];
  for (const row of report.rows) {
    lines.push(`${row.file}  WER ${percent(row.wer)} (${errorCount(row)}/${row.referenceWords}: ${row.substitutions} sub, ${row.deletions} del, ${row.insertions} ins)`);
    lines.push(`  ref: ${normalizeWords(row.reference).join(' ')}`);
    lines.push(`  hyp: ${normalizeWords(row.hypothesis).join(' ')}`);
  }
  const t = report.total;
  lines.push(`total  WER ${percent(t.wer)} (${errorCount(t)}/${t.referenceWords} words: ${t.substitutions} sub, ${t.deletions} del, ${t.insertions} ins) over ${t.files} files in ${report.dir}`);
  if (report.missing.length > 0) lines.push(`not found in ${report.dir}: ${report.missing.join(', ')}`);
  return lines.join('\n') + '\n';
}
