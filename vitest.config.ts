import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // plugins import the package by name, as the docs show; in the checkout that is the source
  resolve: { alias: { ionck: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // two cores: the two cross-check files (the longest) run side by side
    maxWorkers: 2,
  },
});
