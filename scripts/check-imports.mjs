#!/usr/bin/env node
/**
 * Import structure check of src/: every relative import (static, `export ... from`, and
 * dynamic `import('...')`) between files under src/ must
 *   1. form no cycle, and
 *   2. never point upward: a file may import only from its own layer or a lower one.
 * Exits 1 and names each cycle and upward import; prints a summary and exits 0 otherwise.
 *
 *   node scripts/check-imports.mjs [SRC_DIR]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The layers, lowest first. A top-level folder (or file) of src/ belongs to one. */
export const LAYERS = [
  ['errors.ts', 'util'],
  ['io'],
  ['audio'],
  ['viz', 'backend'],
  ['model'],
  ['run'],
  ['convert', 'eval'],
  ['train'],
  ['report'],
  ['cli'],
  ['index.ts', 'browser.ts'],
];

const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function tsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Relative imports of one file, as src-relative .ts paths. */
function importsOf(file, src) {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    out.push(relative(src, target).split(sep).join('/'));
  }
  return out;
}

function top(path) {
  return path.split('/')[0];
}

export function checkImports(src) {
  const files = tsFiles(src).map((f) => relative(src, f).split(sep).join('/')).sort();
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, importsOf(join(src, f), src).filter((t) => known.has(t))]));
  const problems = [];
  let edges = 0;
  for (const [from, targets] of graph) {
    for (const to of targets) {
      edges++;
      const [lf, lt] = [layerOf.get(top(from)), layerOf.get(top(to))];
      if (lf === undefined) problems.push(`${from}: its folder ${top(from)} has no layer in scripts/check-imports.mjs`);
      else if (lt === undefined) problems.push(`${to}: its folder ${top(to)} has no layer in scripts/check-imports.mjs`);
      else if (lt > lf) problems.push(`upward import: ${from} (${top(from)}, layer ${lf}) imports ${to} (${top(to)}, layer ${lt})`);
    }
  }
  // Cycles: depth-first search, each cycle reported once by its path.
  const state = new Map();
  const stack = [];
  const seen = new Set();
  const visit = (f) => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f)) {
      if (state.get(t) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(t)), t];
        const key = [...cycle.slice(0, -1)].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          problems.push(`import cycle: ${cycle.join(' -> ')}`);
        }
      } else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return { files: files.length, edges, problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src'));
  const { files, edges, problems } = checkImports(src);
  for (const p of problems) console.error(p);
  console.log(`check-imports: ${files} files, ${edges} imports, ${problems.length} problem(s); layers (lowest first): ${LAYERS.map((l) => l.join('|')).join(' < ')}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
