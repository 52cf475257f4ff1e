import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'proof/**/*.test.ts'],
    globalSetup: ['test/helpers/cache-home.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
