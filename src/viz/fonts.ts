import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';
import { packageRoot } from '../util/package-root.js';

/**
 * Text in our pictures uses DejaVu Sans shipped in assets/fonts/, registered under
 * its own family name: a fresh machine or container may have no system fonts at all,
 * and Skia then draws no glyphs. The generic fallbacks only matter if the asset is gone.
 */
const FAMILY = 'Voiceswap Sans';
const FONT_FILE = join('assets', 'fonts', 'DejaVuSans.ttf');

let registered: boolean | undefined;

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
