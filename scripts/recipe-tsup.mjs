// The build of every recipe package (each recipe's tsup.config.ts): its library entry and its command, ESM for Node 20.
export const recipeTsupConfig = {
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
};
