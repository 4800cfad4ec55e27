import { z } from 'zod';
import { RECIPE_SCHEMA_URL, RecipeSchema } from './schema.js';

/** The recipe format as JSON Schema (draft 2020-12), generated from the zod schema. */
export function recipeJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(RecipeSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
  return { $schema, $id: RECIPE_SCHEMA_URL, ...rest };
}

/** The text of schema/recipe.schema.json, exactly as written by scripts/write-recipe-schema.mjs. */
export function recipeJsonSchemaText(): string {
  return `${JSON.stringify(recipeJsonSchema(), null, 2)}\n`;
}
