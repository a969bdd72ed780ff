/**
 * A worker thread of `voiceswap convert --jobs N`: its own tfjs backend (the --backend
 * choice, with its share of the cores as intra-op threads) and its own copy of the model;
 * it converts the files the main thread sends, one at a time, and posts what happened.
 * Progress and messages are the main thread's business: a worker never prints.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VoiceswapError } from '../errors.js';
import type { WorkerSettings, ToWorker, FromWorker } from './convert-pool.js';
import { convertJob, loadJobModules } from './convert-job.js';

const port = parentPort;
if (!port) throw new Error('convert-worker.js runs as a worker thread of voiceswap convert');
const settings = workerData as WorkerSettings;
const post = (message: FromWorker): void => port.postMessage(message);

function describe(err: unknown): { message: string; userError: boolean } {
  if (err instanceof VoiceswapError) return { message: err.message.split('\n')[0], userError: true };
  return { message: err instanceof Error ? (err.stack ?? err.message) : String(err), userError: false };
}

async function start(): Promise<void> {
  const { initBackend } = await import('../backend/index.js');
  const backend = await initBackend(settings.backend, { threads: settings.threads });
  const [{ assertFeatures, loadVoiceModel }, { DEFAULT_FEATURE_CONFIG }] = await Promise.all([
    import('../convert/voice-model.js'),
    import('../audio/config.js'),
    loadJobModules(Boolean(settings.job.spectrogram)),
  ]);
  const model = loadVoiceModel(settings.modelDir, [settings.job.direction]);
  assertFeatures(model, DEFAULT_FEATURE_CONFIG);
  port!.on('message', (message: ToWorker) => {
    try {
      post({ type: 'done', id: message.id, result: convertJob(model, message.task, settings.job) });
    } catch (err) {
      post({ type: 'failed', id: message.id, ...describe(err) });
    }
  });
  post({ type: 'ready', backend: `${backend.name} - ${backend.description}` });
}

start().catch((err: unknown) => post({ type: 'fatal', ...describe(err) }));
