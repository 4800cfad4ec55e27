import type { ViteUserConfig } from 'vitest/config';

/** The test settings of every recipe package: `exclude` adds to vitest's default exclusions; timeouts default to 300 s. */
export declare function recipeTestConfig(options?: { exclude?: string[]; timeoutMs?: number }): ViteUserConfig;
