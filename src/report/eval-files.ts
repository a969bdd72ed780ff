/**
 * Evaluation reports for the run report: the JSON that `voiceswap evaluate ... --json`
 * prints, saved as RUN_DIR/eval/*.json or named with `report --eval FILE`. A name such as
 * iter-00003000.a2b.json tells the iteration and direction of the model evaluated.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Direction } from '../convert/direction.js';
import { FileError } from '../errors.js';
import type { EvaluationReport } from '../eval/evaluate.js';

export interface EvaluationEntry {
  file: string;
  /** From the file name (iter-N[.a2b|.b2a].json); null when it does not say. */
  iteration: number | null;
  direction: Direction | null;
  report: EvaluationReport;
}

/** Every *.json in `evalDir` (when it exists) and every explicitly named file; by iteration, then name. */
export function readEvaluationFiles(evalDir: string, extraFiles: readonly string[]): EvaluationEntry[] {
  const found = existsSync(evalDir)
    ? readdirSync(evalDir)
        .filter((name) => name.toLowerCase().endsWith('.json'))
        .map((name) => join(evalDir, name))
    : [];
  for (const file of extraFiles) if (!existsSync(file)) throw new FileError(file, 'no such file (--eval expects a JSON file from `voiceswap evaluate --json`)');
  const unique = [...new Map([...found, ...extraFiles].map((f) => [resolve(f), f])).values()];
  return unique.map(readEvaluationFile).sort((x, y) => (x.iteration ?? -1) - (y.iteration ?? -1) || basename(x.file).localeCompare(basename(y.file)));
}

export function readEvaluationFile(file: string): EvaluationEntry {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FileError(file, `cannot read evaluation report (${(err as Error).message})`);
  }
  const problem = reportProblem(data);
  if (problem) throw new FileError(file, `not a \`voiceswap evaluate --json\` report (${problem})`);
  const m = /^iter-(\d+)(?:\.(a2b|b2a))?\.json$/i.exec(basename(file));
  return {
    file,
    iteration: m ? Number(m[1]) : null,
    direction: m?.[2] ? (m[2].toLowerCase() as Direction) : null,
    report: data as EvaluationReport,
  };
}

/** Figures the report shows: each must be a number, or null where evaluate found it undefined. */
const ROW_FIGURES = [
  'mcdDb',
  'convertedMedianF0Hz',
  'targetMedianF0Hz',
  'f0MeanCents',
  'f0RmseCents',
  'convertedVoicedShare',
  'targetVoicedShare',
  'voicingAgreement',
] as const;
const TOTAL_FIGURES = [...ROW_FIGURES, 'files', 'mcdFrameWeightedDb', 'alignedFrames'] as const;

/** What is wrong with `data` as an EvaluationReport, or null when nothing is. */
function reportProblem(data: unknown): string | null {
  if (!isObject(data)) return 'not a JSON object';
  if (typeof data.targetDir !== 'string') return 'no "targetDir"';
  const converted = comparisonProblem(data.converted);
  if (converted) return `"converted": ${converted}`;
  if (data.unconverted !== null && data.unconverted !== undefined) {
    const unconverted = comparisonProblem(data.unconverted);
    if (unconverted) return `"unconverted": ${unconverted}`;
  }
  return null;
}

function comparisonProblem(c: unknown): string | null {
  if (!isObject(c)) return 'missing';
  if (typeof c.dir !== 'string') return 'no "dir"';
  if (!Array.isArray(c.rows)) return 'no "rows"';
  for (const [i, row] of c.rows.entries()) {
    if (!isObject(row) || typeof row.name !== 'string') return `row ${i + 1} has no "name"`;
    const bad = figureProblem(row, ROW_FIGURES);
    if (bad) return `row ${i + 1}: ${bad}`;
  }
  if (!isObject(c.total)) return 'no "total"';
  const bad = figureProblem(c.total, TOTAL_FIGURES);
  if (bad) return `"total": ${bad}`;
  for (const key of ['unmatched', 'unmatchedTargets'] as const) {
    if (c[key] !== undefined && !(Array.isArray(c[key]) && c[key].every((x) => typeof x === 'string'))) return `"${key}" is not a list of names`;
  }
  return null;
}

function figureProblem(o: Record<string, unknown>, keys: readonly string[]): string | null {
  const bad = keys.find((k) => !(o[k] === null || (typeof o[k] === 'number' && Number.isFinite(o[k]))));
  return bad ? `"${bad}" is not a number` : null;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
