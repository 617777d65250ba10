import { defineConfig } from 'vitest/config';

/** Only for `npm run bench:java` (bench/java-console.fixture.ts): the Java fallback's BENCHMARKS.md rows. */
export default defineConfig({
  test: {
    include: ['bench/java-console.fixture.ts'],
    testTimeout: 600_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
