// The test settings of every recipe package (each recipe's vitest.config.ts): its test files one at a time (the
// root tests bind the recipe's ports and create its accounts), and the jails they build recorded in a registry
// of their own (packages/core/test/support/registry-setup.ts), not the host's.
import { fileURLToPath } from 'node:url';
import { configDefaults } from 'vitest/config';

export function recipeTestConfig({ exclude = [], timeoutMs = 300_000 } = {}) {
  return {
    test: {
      include: ['test/**/*.test.ts'],
      exclude: [...configDefaults.exclude, ...exclude],
      testTimeout: timeoutMs,
      hookTimeout: timeoutMs,
      fileParallelism: false,
      globalSetup: [fileURLToPath(new URL('../packages/core/test/support/registry-setup.ts', import.meta.url))],
    },
  };
}
