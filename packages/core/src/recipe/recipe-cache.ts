/**
 * The normalized recipe of a recipe text, kept in the build cache: a build of a recipe this host has
 * validated before (into another root, or after a host change) takes it from there and never loads the
 * YAML parser or the schema, about half of the CLI's start-up. Keyed by a digest of the engine's build and
 * V8's version, the recipe file's path, its text and the selection, so any change to one of them validates afresh;
 * a recipe that fails validation is never kept. Serialized with v8.serialize, which keeps every value
 * (undefined fields included) as normalizeRecipe made it.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { buildCacheDirectory, ENGINE_BUILD, privateDirectory, pruneCacheDirectory, readCacheFile, writeCacheFile } from '../cache-directory.js';
import type { NormalizedRecipe } from './normalize.js';
import type { RecipeSelection } from './selection.js';

/**
 * parseRecipe + normalizeRecipe of `text` (named `file` in errors), from the build cache when it was done
 * before (unless `useCache` is false: then validated afresh, and the result recorded).
 */
export async function normalizedRecipe(text: string, file: string, selection: RecipeSelection, useCache = true): Promise<NormalizedRecipe> {
  const directory = await privateDirectory(posix.join(buildCacheDirectory(), 'recipes'));
  const key = createHash('sha256').update(JSON.stringify([ENGINE_BUILD, process.versions.v8, file, text, selection])).digest('hex');
  const cached = directory && posix.join(directory, `${key}.v8`);
  if (cached && useCache) {
    const recipe = await readCacheFile(cached, (bytes) => deserialize(bytes) as NormalizedRecipe);
    if (recipe && typeof recipe === 'object' && typeof recipe.name === 'string') return recipe;
  }
  const { parseRecipe, normalizeRecipe } = await import('./index.js');
  const recipe = normalizeRecipe(parseRecipe(text, file, selection));
  if (cached && directory) {
    await writeCacheFile(cached, serialize(recipe));
    await pruneCacheDirectory(directory);
  }
  return recipe;
}
