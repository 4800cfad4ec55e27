#!/usr/bin/env node
// Writes schema/recipe.schema.json from the zod schema in src/recipe/schema.ts (the single source of truth).
// test/recipe/json-schema.test.ts fails when the file is stale. Run: npm run schema -w @jailwright/core
// esbuild (tsup's engine) bundles the TypeScript source so this works before any build.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const output = new URL('../schema/recipe.schema.json', import.meta.url);

const bundle = await build({
  entryPoints: [`${packageDirectory}src/recipe/json-schema.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  logLevel: 'error',
});
const source = bundle.outputFiles[0].text;
const { recipeJsonSchemaText } = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
await writeFile(output, recipeJsonSchemaText());
console.log(`wrote ${fileURLToPath(output)}`);
