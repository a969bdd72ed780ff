/** Which way to convert: speaker A's voice into B's, or back. */
export type Direction = 'a2b' | 'b2a';
export const DIRECTIONS: readonly Direction[] = ['a2b', 'b2a'];
