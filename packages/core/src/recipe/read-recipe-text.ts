import { readFile, stat } from 'node:fs/promises';
import { ExitCode, JailwrightError } from '../errors.js';

/** The largest recipe file read: real recipes are a few kilobytes; anything near this is not a recipe. */
export const MAX_RECIPE_BYTES = 1024 * 1024;

/** `extends:` at the start of a line: the cheap test for a recipe that builds on another, before parsing anything. */
export const EXTENDS_LINE = /^extends\s*:/m;

/** Reads a recipe file's text, refusing what cannot be a recipe (missing, a directory, too large) with a clear error. */
export async function readRecipeText(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (info.size > MAX_RECIPE_BYTES) {
      throw new JailwrightError(`recipe ${file} is too large (${info.size} bytes; a recipe is at most ${MAX_RECIPE_BYTES} bytes)`, {
        exitCode: ExitCode.badInput,
        hint: 'List directories rather than every file in them: a files: entry that is a directory brings the whole tree.',
      });
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof JailwrightError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new JailwrightError(`cannot read recipe ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, {
      exitCode: ExitCode.badInput,
      hint: 'Give the path of a recipe.yaml, a directory holding one, or an installed recipe package such as @jailwright/bind.',
      cause: error,
    });
  }
}
