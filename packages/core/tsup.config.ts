import { defineConfig } from 'tsup';
import { recipeTsupConfig } from './src/tsup-config.js';

// Core builds as every recipe package does (src/tsup-config.ts), with its own entries and shared chunks.
export default defineConfig({
  ...recipeTsupConfig,
  entry: ['src/index.ts', 'src/cli/main.ts', 'src/launch/supervisor.ts', 'src/recipe-cli.ts', 'src/testing/index.ts', 'src/testing/helpers.ts', 'src/testing/vitest-config.ts', 'src/testing/registry-setup.ts', 'src/tsup-config.ts'],
  splitting: true,
});
