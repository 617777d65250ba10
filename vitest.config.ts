import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the browser pages when web/ changed since the last build (web/build.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // Integration tests start QEMU, Xvnc and Chromium: on a 2-core machine, run files one or two at a time.
    maxWorkers: 2,
    pool: 'forks',
  },
});
