import { Command } from 'commander';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { defaultModelDir } from '../convert/shipped-model.js';
import { VoiceswapError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import { intOption } from './options.js';

/**
 * `voiceswap ui`: serves the browser page (dist/web, built by `npm run build:web`), the
 * WebAssembly binaries of @tensorflow/tfjs-backend-wasm and the shipped model over HTTP
 * with Node's http module, on 127.0.0.1 unless told otherwise. Conversion happens in the
 * page; the server only hands out files (GET/HEAD, a fixed set of folders, no listing).
 */

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
};

export const DEFAULT_UI_PORT = 8765;

export interface UiServerOptions {
  port?: number;
  host?: string;
  /** The built page (default: dist/web of the package). */
  webDir?: string;
}

/** Where a URL path is served from, or null (404). Only files under the three roots. */
export function uiFileFor(urlPath: string, webDir: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (path.endsWith('/')) path += 'index.html';
  const inside = (root: string, rel: string): string | null => {
    const file = normalize(join(root, rel));
    return file.startsWith(normalize(root) + sep) ? file : null;
  };
  if (path.startsWith('/wasm/')) {
    const name = path.slice('/wasm/'.length);
    if (!/^tfjs-backend-wasm[a-z-]*\.wasm$/.test(name)) return null;
    return join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), name);
  }
  if (path === '/models/alice-bob/model.json' || path === '/models/alice-bob/weights.bin') {
    return join(defaultModelDir(), path.slice('/models/alice-bob/'.length));
  }
  return inside(webDir, path.slice(1));
}

export function defaultWebDir(): string {
  return join(packageRoot() ?? '.', 'dist', 'web');
}

/** Start serving; resolves with the server and its URL once it listens. */
export async function startUiServer(options: UiServerOptions = {}): Promise<{ server: Server; url: string }> {
  const webDir = options.webDir ?? defaultWebDir();
  if (!existsSync(join(webDir, 'index.html')) || !existsSync(join(webDir, 'worker.js'))) {
    throw new VoiceswapError(`${webDir}: the browser page is not built; run \`npm run build:web\` first`);
  }
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = uiFileFor(req.url ?? '/', webDir);
    const stat = file === null ? undefined : statSync(file, { throwIfNoEntry: false });
    if (file === null || !stat?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new VoiceswapError(err.code === 'EADDRINUSE' ? `port ${options.port} on ${host} is in use: pick another with --port` : `cannot serve on ${host}:${options.port}: ${err.message}`)),
    );
    server.listen(options.port ?? DEFAULT_UI_PORT, host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shown}:${port}/` };
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('Serve the browser page (convert in the page: nothing is uploaded) on this machine')
    .option('--port <n>', `port to listen on (0: any free port; default ${DEFAULT_UI_PORT})`, intOption('--port', 0, 65535), DEFAULT_UI_PORT)
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)', '127.0.0.1')
    .addHelpText(
      'after',
      `
The page is built by \`npm run build:web\` into dist/web; that folder also works from any
static host as it is (relative URLs). Stop the server with Ctrl-C.

Examples:
  $ voiceswap ui
  $ voiceswap ui --port 9000`,
    )
    .action(async (opts: { port: number; host: string }) => {
      const { server, url } = await startUiServer({ port: opts.port, host: opts.host });
      console.log(`voiceswap ui: ${url}  (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          server.close(() => resolve());
          server.closeAllConnections();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
