import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KNOWN_PRESETS, RECIPE_SCHEMA_URL, recipeJsonSchema, recipeJsonSchemaText } from '../../src/recipe/index.js';

const schemaFile = new URL('../../schema/recipe.schema.json', import.meta.url);

describe('schema/recipe.schema.json', () => {
  it('is what the zod schema generates (run `npm run schema -w @jailwright/core`, or `vitest -u`, after changing src/recipe/schema.ts)', async () => {
    await expect(recipeJsonSchemaText()).toMatchFileSnapshot(schemaFile.pathname);
  });

  it('is draft 2020-12 with an $id that recipes point at, and describes every property', () => {
    const schema = recipeJsonSchema() as {
      $schema: string;
      $id: string;
      additionalProperties: boolean;
      properties: Record<string, { description?: string; properties?: Record<string, { description?: string; items?: unknown }> }>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(RECIPE_SCHEMA_URL);
    expect(schema.additionalProperties).toBe(false);
    for (const [name, property] of Object.entries(schema.properties)) expect(property.description, name).toBeTruthy();
    const jail = schema.properties.jail?.properties ?? {};
    expect(Object.keys(jail)).toContain('files');
    for (const [name, property] of Object.entries(jail)) expect(property.description, `jail.${name}`).toBeTruthy();
    expect(jail.include?.items).toEqual({ type: 'string', enum: [...KNOWN_PRESETS] });
  });

  it('is the schema the demo fixture names on its first line', async () => {
    const fixture = await readFile(new URL('../fixtures/demo/recipe.yaml', import.meta.url), 'utf8');
    expect(fixture.split('\n')[0]).toBe(`# yaml-language-server: $schema=${RECIPE_SCHEMA_URL}`);
    expect(parse(fixture)).toMatchObject({ specVersion: 1, name: 'demo' });
  });
});
