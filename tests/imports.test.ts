import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { checkImports } from '../scripts/check-imports.mjs';
import { REPO } from './helpers/cli.js';

type Check = { files: number; edges: number; problems: string[] };
const check = checkImports as (src: string) => Check;

const root = mkdtempSync(join(tmpdir(), 'voiceswap-imports-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const src = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(src, path, '..'), { recursive: true });
    writeFileSync(join(src, path), text);
  }
  return src;
}

describe('scripts/check-imports.mjs', () => {
  it('src/ has no import cycle and no upward import', () => {
    const result = check(join(REPO, 'src'));
    expect(result.problems).toEqual([]);
    expect(result.files).toBeGreaterThan(90);
  });

  it('finds a cycle', () => {
    const src = tree('cycle', {
      'run/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'run/b.ts': "import type { a } from './a.js';\nexport const b = 1;\n",
    });
    expect(check(src).problems).toEqual(['import cycle: run/a.ts -> run/b.ts -> run/a.ts']);
  });

  it('finds an upward import, dynamic ones too', () => {
    const src = tree('upward', {
      'model/m.ts': "export const m = () => import('../train/t.js');\n",
      'train/t.ts': "import { m } from '../model/m.js';\nexport const t = m;\n",
    });
    expect(check(src).problems).toEqual(['upward import: model/m.ts (model, layer 4) imports train/t.ts (train, layer 7)', 'import cycle: model/m.ts -> train/t.ts -> model/m.ts']);
  });
});
