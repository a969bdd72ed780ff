import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // CLI tests start child processes and CI machines have 2 cores: be patient, not flaky.
    testTimeout: 60_000,
    // Setups that train a tiny model take ~20 s alone and several times that on a loaded machine.
    hookTimeout: 180_000,
  },
});
