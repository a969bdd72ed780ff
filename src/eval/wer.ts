/**
 * Word error rate: the minimum number of word substitutions, deletions and insertions
 * that turn the reference into the hypothesis (Levenshtein distance over words), divided
 * by the number of reference words. Both texts are normalised first (normalizeWords).
 */
import { readFileSync } from 'node:fs';
import { FileError } from '../errors.js';

/**
 * Lower-case words without punctuation: apostrophes are dropped inside words ("don't" ->
 * "dont", so either spelling matches), hyphens, dashes, slashes and every other punctuation
 * mark or symbol separate words ("twenty-three" -> "twenty three"). Numbers are expected
 * to be written as words already; digits are kept as they are.
 */
export function normalizeWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’‘`]/gu, '')
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .split(/\s+/u)
    .filter((word) => word.length > 0);
}

export interface WordErrors {
  /** Words in the reference. */
  referenceWords: number;
  substitutions: number;
  deletions: number;
  insertions: number;
}

/** Total edits. */
export function errorCount(e: WordErrors): number {
  return e.substitutions + e.deletions + e.insertions;
}

/** errors / reference words; 0 for an empty reference with an empty hypothesis, Infinity with a non-empty one. */
export function wordErrorRate(e: WordErrors): number {
  const errors = errorCount(e);
  if (e.referenceWords === 0) return errors === 0 ? 0 : Infinity;
  return errors / e.referenceWords;
}

/**
 * The minimum-edit alignment of two word sequences and its substitution, deletion and
 * insertion counts. Among alignments with the fewest edits, the backtrace prefers a
 * match or substitution, then a deletion, then an insertion, so the split is deterministic.
 */
export function wordErrors(reference: string[], hypothesis: string[]): WordErrors {
  const n = reference.length;
  const m = hypothesis.length;
  const width = m + 1;
  const cost = new Int32Array((n + 1) * width);
  for (let i = 0; i <= n; i++) cost[i * width] = i;
  for (let j = 0; j <= m; j++) cost[j] = j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const diagonal = cost[(i - 1) * width + j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
      const deletion = cost[(i - 1) * width + j] + 1;
      const insertion = cost[i * width + j - 1] + 1;
      cost[i * width + j] = Math.min(diagonal, deletion, insertion);
    }
  }
  const result: WordErrors = { referenceWords: n, substitutions: 0, deletions: 0, insertions: 0 };
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = cost[i * width + j];
    if (i > 0 && j > 0) {
      const same = reference[i - 1] === hypothesis[j - 1];
      if (here === cost[(i - 1) * width + j - 1] + (same ? 0 : 1)) {
        if (!same) result.substitutions++;
        i--;
        j--;
        continue;
      }
    }
    if (i > 0 && here === cost[(i - 1) * width + j] + 1) {
      result.deletions++;
      i--;
    } else {
      result.insertions++;
      j--;
    }
  }
  return result;
}

/** Sum of the counts of several utterances: the corpus WER is Σ errors / Σ reference words. */
export function sumWordErrors(list: WordErrors[]): WordErrors {
  const total: WordErrors = { referenceWords: 0, substitutions: 0, deletions: 0, insertions: 0 };
  for (const e of list) {
    total.referenceWords += e.referenceWords;
    total.substitutions += e.substitutions;
    total.deletions += e.deletions;
    total.insertions += e.insertions;
  }
  return total;
}

/**
 * Parse a transcript list: one `FILE<TAB>TEXT` line per utterance (FILE a name such as
 * dev01.wav). Extra tab-separated fields between them are allowed and ignored (the text
 * is the last field), so `FILE<TAB>VOICE<TAB>TEXT` lists work too. Blank lines and lines
 * starting with '#' are skipped. `name` is used in errors.
 */
export function parseTexts(content: string, name: string): Map<string, string> {
  const texts = new Map<string, string>();
  content.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const fields = line.split('\t');
    const file = fields[0].trim();
    if (fields.length < 2 || file === '') throw new FileError(name, `line ${index + 1}: expected FILE<TAB>TEXT, got "${line}"`);
    if (texts.has(file)) throw new FileError(name, `line ${index + 1}: ${file} is listed twice`);
    texts.set(file, fields[fields.length - 1].trim());
  });
  if (texts.size === 0) throw new FileError(name, 'lists no transcripts (expected FILE<TAB>TEXT lines)');
  return texts;
}

/** Read a transcript list (see parseTexts). */
export function readTexts(path: string): Map<string, string> {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileError(path, code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})`);
  }
  return parseTexts(content, path);
}
