import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GlobalFonts } from '@napi-rs/canvas';

/**
 * Text in our pictures uses DejaVu Sans shipped in assets/fonts/, registered under
 * its own family name: a fresh machine or container may have no system fonts at all,
 * and Skia then draws no glyphs. The generic fallbacks only matter if the asset is gone.
 */
const FAMILY = 'Voiceswap Sans';
const FONT_FILE = join('assets', 'fonts', 'DejaVuSans.ttf');

let registered: boolean | undefined;

/**
 * The package root: the nearest folder above this module that holds package.json.
 * This module runs from src/viz/ (tests, ts sources) or dist/src/viz/ (compiled), so a
 * fixed number of '..' would be wrong in one of the two.
 */
export function packageRoot(fromDir: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Register the shipped font once per process; true when it is available to Skia. */
export function registerBundledFont(): boolean {
  if (registered === undefined) {
    const root = packageRoot();
    const path = root === undefined ? undefined : join(root, FONT_FILE);
    registered = path !== undefined && existsSync(path) && GlobalFonts.registerFromPath(path, FAMILY) !== null;
  }
  return registered;
}

/** A CSS font shorthand for canvas text of the given pixel size. */
export function fontSpec(sizePx: number): string {
  registerBundledFont();
  return `${sizePx}px "${FAMILY}", "DejaVu Sans", sans-serif`;
}
