/**
 * The build of a recipe package (its tsup.config.ts: `defineConfig(recipeTsupConfig)`): its library entry and
 * its command, ESM for Node 20. Typed without tsup, which a recipe package brings itself.
 */
export const recipeTsupConfig: { entry: string[]; format: 'esm'[]; target: string; platform: 'node'; dts: boolean; sourcemap: boolean; clean: boolean } = {
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
};
