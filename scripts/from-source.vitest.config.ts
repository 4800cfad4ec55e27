import { recipeTestConfig } from '@jailwright/core/testing/vitest-config';
import { defineConfig } from 'vitest/config';

/**
 * The recipes' slow tests (`npm run test:from-source` in a recipe package): a real compile from Debian's
 * source package, then the jail — minutes, not seconds. Their default vitest config leaves this file out.
 * The settings are every recipe's (recipeTestConfig: one file at a time, a throwaway jail registry), with
 * this file only and a compile's timeout; the hooks only make and remove directories.
 */
const recipeTests = recipeTestConfig({ timeoutMs: 40 * 60_000 });

export default defineConfig({
  ...recipeTests,
  test: { ...recipeTests.test, include: ['test/from-source.test.ts'], hookTimeout: 120_000 },
});
