import { Option } from 'commander';
import type { BackendInfo } from '../backend/index.js';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/choices.js';
import { choiceOption, intOption } from './options.js';

/** The --backend and --threads options every tfjs-using command shares. */
export function backendOptions(): Option[] {
  return [
    new Option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(', ')}`)
      .argParser(choiceOption('--backend', BACKEND_CHOICES))
      .default('auto'),
    new Option('--threads <n>', 'CPU threads for backends that can use several').argParser(intOption('--threads', 1, 256)),
  ];
}

/** Start the chosen backend; tfjs is loaded only now, so `--help` and errors stay fast. */
export async function startBackend(opts: { backend: BackendChoice; threads?: number }, quiet = false): Promise<BackendInfo> {
  const { initBackend } = await import('../backend/index.js');
  const log = quiet ? () => {} : (m: string) => process.stderr.write(m + '\n');
  return initBackend(opts.backend, { threads: opts.threads, log });
}
