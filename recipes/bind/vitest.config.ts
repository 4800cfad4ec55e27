import { defineConfig } from 'vitest/config';
import { recipeTestConfig } from '@jailwright/core/testing/vitest-config';

// The compile from source runs apart: npm run test:from-source (../../scripts/from-source.vitest.config.ts).
export default defineConfig(recipeTestConfig({ exclude: ['test/from-source.test.ts'], timeoutMs: 60_000 }));
