/** What every backend module offers to the chooser in index.ts. */

export interface BackendOptions {
  /** Worker threads for backends that can use them (wasm). Default: what the backend picks. */
  threads?: number;
  /** Where progress and skip reasons go (one line each). Default: nowhere. */
  log?: (msg: string) => void;
}

/** The backend is active: `description` says what runs the kernels, for the user. */
export interface Started {
  ok: true;
  description: string;
}

/** The backend cannot run here: `reason` is one line a user can act on. */
export interface Unavailable {
  ok: false;
  reason: string;
}

export type StartOutcome = Started | Unavailable;

/** Makes one backend the active tfjs backend, or explains why it cannot. */
export type StartBackend = (options: BackendOptions) => Promise<StartOutcome>;

/** The first line of an error's message: native loaders produce long multi-line errors. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0].trim();
}
