import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startUiServer, uiFileFor } from '../src/cli/ui.js';

describe('voiceswap ui file mapping (no browser needed)', () => {
  const web = '/srv/web';
  it('serves the page, the wasm binaries and the shipped model, nothing outside', () => {
    expect(uiFileFor('/', web)).toBe('/srv/web/index.html');
    expect(uiFileFor('/worker.js?x=1', web)).toBe('/srv/web/worker.js');
    expect(uiFileFor('/wasm/tfjs-backend-wasm-simd.wasm', web)).toMatch(/@tensorflow\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm-simd\.wasm$/);
    expect(uiFileFor('/models/alice-bob/weights.bin', web)).toMatch(/models\/alice-bob\/weights\.bin$/);
    for (const bad of ['/../package.json', '/%2e%2e/package.json', '/wasm/../../x.wasm', '/wasm/other.js', '/%E0%A4%A']) {
      expect(uiFileFor(bad, web), bad).toBeNull();
    }
  });
  it('says how to build the page when it is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voiceswap-ui-'));
    await expect(startUiServer({ port: 0, webDir: dir })).rejects.toThrow(/the browser page is not built; run `npm run build:web` first/);
    rmSync(dir, { recursive: true });
  });
});
