import { defineConfig } from 'vitest/config';

/** Only for `npx vitest run --config bench/vitest.fixtures.config.ts` (makes fixtures/recordings). */
export default defineConfig({
  test: {
    include: ['bench/make-fixtures.fixture.ts'],
    testTimeout: 150_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
