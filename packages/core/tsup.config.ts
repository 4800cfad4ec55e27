import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli/main.ts', 'src/launch/supervisor.ts', 'src/recipe-cli.ts', 'src/testing/index.ts', 'src/testing/helpers.ts', 'src/testing/vitest-config.ts', 'src/testing/registry-setup.ts', 'src/tsup-config.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
});
