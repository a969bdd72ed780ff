import { Command } from 'commander';
import { evaluatePairs, formatReportTable, TELEPHONE_EVALUATION_CONFIG } from '../eval/evaluate.js';
import { formatWerReport, werForDir } from '../eval/recognize.js';

interface EvaluateOptions {
  source?: string;
  json?: boolean;
  telephone?: boolean;
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('Objective figures for converted speech against parallel target recordings: MCD and F0')
    .argument('<converted-dir>', 'folder of converted WAVs (dev01.a2b.wav pairs with dev01.wav)')
    .argument('<target-dir>', 'folder of the target speaker saying the same sentences')
    .option('--source <dir>', 'also report the unconverted baseline: source recordings vs target')
    .option('--json', 'print the report as one JSON object on one line (stdout) instead of a table')
    .option('--telephone', 'telephone recordings: analyse at 8 kHz, so the MCD covers 0-4 kHz (alpha 0.31)')
    .addHelpText(
      'after',
      `
MCD: mel-cepstral distortion (dB) over c1-c24 (alpha 0.455), DTW-aligned, silence
excluded. F0: YIN, 80-500 Hz: median per side, log-F0 error in cents, voicing,
ln-F0 spread (intonation range) per side.
The method is documented in docs/evaluation.md.

Examples:
  $ voiceswap evaluate converted/ samples/dev/bob --source samples/dev/alice
  $ voiceswap evaluate converted/ samples/dev/bob --json > eval.json`,
    )
    .action((convertedDir: string, targetDir: string, opts: EvaluateOptions) => {
      const analysis = opts.telephone ? TELEPHONE_EVALUATION_CONFIG : {};
      const report = evaluatePairs(convertedDir, targetDir, { ...analysis, sourceDir: opts.source });
      process.stdout.write(opts.json ? JSON.stringify(report) + '\n' : formatReportTable(report));
    });

  program
    .command('wer')
    .description("Word error rate of a folder of WAVs with Debian's pocketsphinx recogniser")
    .argument('<dir>', 'folder of WAVs')
    .argument('<texts>', 'transcripts: one "FILE<TAB>TEXT" line per file (e.g. samples/dev/texts.tsv)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Needs: apt-get install pocketsphinx pocketsphinx-en-us

Examples:
  $ voiceswap wer samples/dev/alice samples/dev/texts.tsv
  $ voiceswap wer converted/ samples/dev/texts.tsv --json`,
    )
    .action((dir: string, texts: string, opts: { json?: boolean }) => {
      const report = werForDir(dir, texts);
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatWerReport(report));
    });
}
