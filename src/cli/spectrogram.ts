import { Command } from 'commander';
import { extname } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, type Spectrogram } from '../audio/config.js';
import { loadAudio } from '../audio/load.js';
import { logMelSpectrogram } from '../audio/features.js';
import { stftMagnitude } from '../audio/stft.js';
import { FileError } from '../errors.js';
import { readNpy, writeNpy } from '../io/npy.js';
import { assertWritablePath, writeUserFileAtomic } from '../io/atomic.js';
import { choiceOption, numberOption } from './options.js';
import { derivedOutputPath } from './paths.js';
import { assertNotInput, samePath } from '../io/protect.js';

interface SpectrogramOptions {
  output?: string;
  npy?: string;
  linear?: boolean;
  dbRange: number;
  colormap: 'magma' | 'viridis';
}

export function registerSpectrogram(program: Command): void {
  program
    .command('spectrogram')
    .description('Draw the spectrogram of a WAV file (or of a log-mel .npy dump) as a PNG')
    .argument('<input>', 'a WAV file (any format voiceswap reads) or a log-mel .npy [80, frames]')
    .option('-o, --output <png>', 'PNG to write (default: <input name>.png in the current directory)')
    .option('--npy <file>', 'also write the log-mel as NumPy .npy (float32, [80, frames])')
    .option('--linear', 'draw the linear-frequency STFT magnitude (dB) instead of the log-mel')
    .option('--db-range <dB>', 'dynamic range of the colour scale in dB below the peak', numberOption('--db-range', 10, 200), 80)
    .option('--colormap <name>', 'magma or viridis', choiceOption('--colormap', ['magma', 'viridis'] as const), 'magma')
    .addHelpText(
      'after',
      `
The log-mel uses voiceswap's default features: 22050 Hz, n_fft 1024, hop 256,
80 Slaney mel bands 0-8000 Hz, ln(max(mel, 1e-5)).

Examples:
  $ voiceswap spectrogram samples/alice/alice001.wav -o alice001.png
  $ voiceswap spectrogram speech.wav --npy speech.logmel.npy -o speech.png
  $ voiceswap spectrogram speech.wav --linear --db-range 100 -o speech.stft.png
  $ voiceswap spectrogram speech.logmel.npy -o speech.png`,
    )
    .action((input: string, opts: SpectrogramOptions) => runSpectrogram(input, opts));
}

async function runSpectrogram(input: string, opts: SpectrogramOptions): Promise<void> {
  const cfg = DEFAULT_FEATURE_CONFIG;
  const output = opts.output ?? derivedOutputPath(input, '.png');
  assertNotInput(output, [input]);
  if (opts.npy) assertNotInput(opts.npy, [input]);
  // The .npy is written first: a PNG of the same name would replace it.
  if (opts.npy && samePath(opts.npy, output)) throw new FileError(opts.npy, 'is also the PNG output (-o); give the two outputs different names');
  for (const out of [output, opts.npy]) if (out) assertWritablePath(out); // before any work
  const isNpy = extname(input).toLowerCase() === '.npy';
  if (isNpy && opts.linear) throw new FileError(input, '--linear needs a WAV input (a .npy holds only the log-mel)');
  if (isNpy && opts.npy) throw new FileError(input, '--npy needs a WAV input (the input already is a .npy)');

  let spec: Spectrogram;
  if (isNpy) {
    spec = logMelFromNpy(input, cfg.nMels);
  } else {
    const audio = loadAudio(input, cfg.sampleRate);
    spec = opts.linear ? stftMagnitude(audio.samples, cfg) : logMelSpectrogram(audio.samples, cfg);
    if (opts.npy) writeNpy(opts.npy, { shape: [spec.rows, spec.frames], data: spec.data });
  }
  const { renderSpectrogramPng } = await import('../viz/spectrogram-image.js'); // loads the native canvas
  const png = renderSpectrogramPng(spec, {
    kind: opts.linear ? 'linear' : 'mel',
    sampleRate: cfg.sampleRate,
    hopLength: cfg.hopLength,
    nFft: cfg.nFft,
    fMin: cfg.fMin,
    fMax: cfg.fMax,
    title: input,
    dbRange: opts.dbRange,
    colormap: opts.colormap,
  });
  writeUserFileAtomic(output, png);
  process.stderr.write(`wrote ${output} (${spec.rows} x ${spec.frames} frames)\n`);
}

function logMelFromNpy(path: string, nMels: number): Spectrogram {
  const arr = readNpy(path);
  if (arr.shape.length !== 2 || arr.shape[0] !== nMels) {
    throw new FileError(path, `expected a log-mel array of shape [${nMels}, frames], got [${arr.shape.join(', ')}]`);
  }
  return { data: arr.data, rows: arr.shape[0], frames: arr.shape[1] };
}
