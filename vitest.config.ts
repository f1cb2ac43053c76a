import { defineConfig } from 'vitest/config';

const env = { ME_PROFILE: process.env.ME_PROFILE ?? 'test', KAFKAJS_NO_PARTITIONER_WARNING: '1' };

export default defineConfig({
  test: {
    projects: [
      {
        // The pure domain and the CLIs: no services needed.
        test: { name: 'unit', include: ['test/domain/**/*.test.ts', 'test/bin/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/console/**/*.test.ts'], env, testTimeout: 60_000 },
      },
      {
        // Everything that talks to Temporal, Kafka or Postgres runs on the real stack of the
        // test profile, started (and stopped) by the global setup; if it cannot start, the run fails.
        // The console's browser tests (test/browser, Debian's Chromium) run here too, on the same stack.
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
          env,
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/task-queue.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Integration files share one stack: one file at a time so they never fight over it.
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
