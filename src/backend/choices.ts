/**
 * The backends a user can name (kept apart from index.ts so that the CLI can list them
 * without loading tfjs).
 */
export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
