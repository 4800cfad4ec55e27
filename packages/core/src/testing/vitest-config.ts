import { configDefaults, type ViteUserConfig } from 'vitest/config';
import { corePackageFile } from '../package-file.js';

/** What differs between the test runs of recipe packages. */
export interface RecipeTestOptions {
  /** Files left out, added to vitest's default exclusions. */
  exclude?: string[];
  /** Test and hook timeout (default 300 s: a root test builds a jail, and may compile first). */
  timeoutMs?: number;
}

/**
 * The test settings of a recipe package (its vitest.config.ts: `defineConfig(recipeTestConfig())`): test files
 * one at a time (the root tests bind the recipe's ports and create its accounts), and the jails they build
 * recorded in a throwaway registry (JAILWRIGHT_REGISTRY), not the host's.
 */
export function recipeTestConfig({ exclude = [], timeoutMs = 300_000 }: RecipeTestOptions = {}): ViteUserConfig {
  return {
    test: {
      include: ['test/**/*.test.ts'],
      exclude: [...configDefaults.exclude, ...exclude],
      testTimeout: timeoutMs,
      hookTimeout: timeoutMs,
      fileParallelism: false,
      globalSetup: [corePackageFile('dist/testing/registry-setup.js')],
    },
  };
}
