import { Command } from 'commander';
import { intOption } from './options.js';

interface ReportCliOptions {
  output?: string;
  every?: number;
  last?: number;
  eval?: string[];
}

/** Above this the report is awkward to mail or open: suggest --every / --last. */
const LARGE_REPORT_BYTES = 50 * 2 ** 20;

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Write one self-contained HTML page about a training run: settings, losses, samples to listen to, evaluations')
    .argument('<run-dir>', 'a training run directory (the --out of `voiceswap train`)')
    .option('-o, --output <html>', 'HTML file to write (default: RUN_DIR/report.html)')
    .option('--every <n>', 'only every N-th sample point (and always the newest)', intOption('--every', 1))
    .option('--last <n>', 'only the newest N sample points (after --every)', intOption('--last', 1))
    .option('--eval <json>', 'also show this `voiceswap evaluate --json` report (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .addHelpText(
      'after',
      `
The page embeds everything (spectrogram PNGs, WAVs as data: URIs, inline CSS), so it
opens from disk and can be mailed; it loads nothing from the network. Each sample point
(samples/iter-N/) adds about 2.5 MB for four clips of a few seconds: limit a long run with
--every and --last.

Evaluations: every *.json in RUN_DIR/eval/ is shown as a table, as is each --eval file.
Save them with \`voiceswap evaluate ... --json\`; a name like iter-00003000.a2b.json
tells the iteration and direction of the model evaluated.

Examples:
  $ voiceswap report runs/alice-bob
  $ voiceswap report runs/alice-bob --every 4 --last 5 -o alice-bob.html
  $ voiceswap evaluate converted/ samples/dev/bob --source samples/dev/alice --json > runs/alice-bob/eval/iter-00005000.a2b.json
  $ voiceswap report runs/alice-bob --eval other-eval.json`,
    )
    .action((runDir: string, opts: ReportCliOptions) => runReport(runDir, opts));
}

async function runReport(runDir: string, opts: ReportCliOptions): Promise<void> {
  const { writeRunReport, defaultReportPath } = await import('../report/report.js');
  const written = writeRunReport(runDir, opts.output ?? defaultReportPath(runDir), { every: opts.every, last: opts.last, evalFiles: opts.eval ?? [] });
  const { samplePoints, allSampleIterations, evaluations } = written.report;
  const parts = [`${samplePoints.length} of ${allSampleIterations.length} sample points`];
  if (evaluations.length > 0) parts.push(`${evaluations.length} evaluation${evaluations.length === 1 ? '' : 's'}`);
  process.stderr.write(`wrote ${written.path} (${formatMegabytes(written.bytes)}; ${parts.join(', ')})\n`);
  if (written.bytes > LARGE_REPORT_BYTES) process.stderr.write('the report is large: --every N and --last N keep fewer sample points\n');
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
