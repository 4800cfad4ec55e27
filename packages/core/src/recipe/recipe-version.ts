import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { declaredRecipeFile } from './resolve-reference.js';

/** Which recipe a jail was built from: the package release it came in, if any, and the digest of what the build read. */
export interface RecipeVersion {
  /** The recipe package, when the recipe is the one its package declares. */
  package?: { name: string; version: string } | undefined;
  /** sha256 of the recipe as the build read it (its text and each text it extends): the manifest's `inputs.recipeSha256`. */
  sha256?: string | undefined;
}

/**
 * The version of the recipe that built a jail, from the recipe file and the digest its manifest records. The package is
 * the one the file belongs to (the nearest package.json above it, as Node finds a module's package), and only when that
 * package declares this very file as its recipe (`"jailwright": { "recipe": … }`, else recipe.yaml): a test fixture or a
 * second recipe kept inside a package is not that package's release.
 */
export async function recipeVersion(recipeFile: string | undefined, recipeSha256: string | undefined): Promise<RecipeVersion> {
  return { package: recipeFile === undefined ? undefined : await recipePackage(path.resolve(recipeFile)), sha256: recipeSha256 };
}

async function recipePackage(file: string): Promise<RecipeVersion['package']> {
  for (let directory = path.dirname(file); ; directory = path.dirname(directory)) {
    let text: string;
    try {
      text = await readFile(path.join(directory, 'package.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || directory === path.dirname(directory)) return undefined;
      continue;
    }
    let packageJson: { name?: unknown; version?: unknown; jailwright?: { recipe?: unknown } };
    try {
      packageJson = JSON.parse(text) as typeof packageJson;
    } catch {
      return undefined;
    }
    const { name, version } = packageJson ?? {};
    if (typeof name !== 'string' || typeof version !== 'string' || declaredRecipeFile(directory, packageJson ?? undefined) !== file) return undefined;
    return { name, version };
  }
}

/** `@jailwright/bind@1.2.0 (sha256 0123abcd4567)` for a packaged recipe, `sha256 0123abcd4567` otherwise. */
export function formatRecipeVersion(version: RecipeVersion): string {
  const digest = version.sha256 ? `sha256 ${version.sha256.slice(0, 12)}` : 'unknown';
  return version.package ? `${version.package.name}@${version.package.version} (${digest})` : digest;
}
