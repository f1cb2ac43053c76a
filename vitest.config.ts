import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: { ME_PROFILE: process.env.ME_PROFILE ?? 'test', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration suites share one real stack; run files one at a time so they never fight over it.
    fileParallelism: false,
    pool: 'forks',
  },
});
