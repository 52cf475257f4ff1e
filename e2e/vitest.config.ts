// Unit tests of the e2e tooling (pure functions; no buildah, no network):
//   npx vitest run -c e2e/vitest.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/**/*.test.ts'],
  },
});
