import { configDefaults, defineConfig } from 'vitest/config';

/** Files that must run with no other test file beside them (they stop a shared peer, e.g. the machine's RabbitMQ). */
const ALONE = 'test/**/*.alone.test.ts';

export default defineConfig({
  test: {
    // Builds the browser pages when web/ changed since the last build (web/build.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // Integration tests start QEMU, Xvnc and Chromium: on a 2-core machine, run files one or two at a time.
    maxWorkers: 2,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ALONE], sequence: { groupOrder: 0 } } },
      // Runs after every file of 'suite' has finished (vitest runs project groups in order).
      { extends: true, test: { name: 'alone', include: [ALONE], sequence: { groupOrder: 1 } } },
    ],
  },
});
