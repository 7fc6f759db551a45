import { defineConfig } from 'vitest/config';

// Two cores: real helm/kustomize/git processes are the bottleneck, so keep workers at 2.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/cache-dir.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
