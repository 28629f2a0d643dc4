import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'kits/**/*.spec.ts', 'plugins/**/*.spec.ts', 'test/**/*.spec.ts'],
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/scratch-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
