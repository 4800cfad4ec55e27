import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { JailwrightError } from '../errors.js';
import type { NormalizedRecipe } from '../recipe/normalize.js';

/** What `jailwright compile` leaves for `build` and `start`: the built files that stand in for the host's. */
export interface CompiledBinaries {
  recipe: string;
  profile: string;
  prefix: string;
  /** Host path the recipe names → built file under the prefix. */
  replaces: Record<string, string>;
  source: { path: string; sha256?: string | undefined; version?: string | undefined; verified: boolean };
  compiledAt: string;
  engineVersion: string;
}

/** The engine's state directory (JAILWRIGHT_STATE_DIR, default /var/lib/jailwright). */
export function engineStateDirectory(): string {
  return process.env.JAILWRIGHT_STATE_DIR || '/var/lib/jailwright';
}

/** Where the compile record of a recipe lives. */
export function compiledBinariesFile(recipeName: string): string {
  return join(engineStateDirectory(), 'compiled', `${recipeName}.json`);
}

/** The record's text (it is part of what makes a jail up to date), or undefined when the recipe was never compiled. */
export function readCompiledBinariesText(recipeName: string): string | undefined {
  try {
    return readFileSync(compiledBinariesFile(recipeName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function parseCompiledBinaries(text: string, recipeName: string): CompiledBinaries {
  try {
    const record = JSON.parse(text) as CompiledBinaries;
    if (record.recipe === recipeName && typeof record.prefix === 'string' && typeof record.replaces === 'object') return record;
  } catch {
    // reported below
  }
  throw new JailwrightError(`${compiledBinariesFile(recipeName)} is not a compile record of ${recipeName}`, {
    hint: `run \`jailwright compile ${recipeName} --forget\` to build from the host's binaries again, or compile again`,
  });
}

export async function writeCompiledBinaries(record: CompiledBinaries): Promise<string> {
  const file = compiledBinariesFile(record.recipe);
  await mkdir(dirname(file), { recursive: true, mode: 0o755 });
  await writeFile(`${file}.new`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  await rename(`${file}.new`, file);
  return file;
}

/** Forgets a compile: the next build takes the host's binaries again. Returns whether there was a record. */
export async function forgetCompiledBinaries(recipeName: string): Promise<boolean> {
  const existed = readCompiledBinariesText(recipeName) !== undefined;
  await rm(compiledBinariesFile(recipeName), { force: true });
  return existed;
}

/**
 * The recipe with the built files standing in for the host's: a `jail.files` entry copies the built file to
 * the same jail path, and a self-chrooting launch (which runs a host program) runs the built program.
 */
export function withCompiledBinaries(recipe: NormalizedRecipe, record: CompiledBinaries): NormalizedRecipe {
  const replacement = (path: string) => record.replaces[path];
  const files = recipe.jail.files.map((entry) => {
    const built = replacement(entry.path);
    return built ? { ...entry, path: built } : entry;
  });
  const program = recipe.launch?.command[0];
  const builtProgram = program === undefined ? undefined : replacement(program);
  const launch =
    recipe.launch && builtProgram && recipe.launch.mode === 'self-chroot'
      ? { ...recipe.launch, command: [builtProgram, ...recipe.launch.command.slice(1)] }
      : recipe.launch;
  return { ...recipe, jail: { ...recipe.jail, files }, ...(launch ? { launch } : {}) };
}

/** The recipe as `build` and `start` see it: with the built files when the recipe was compiled. */
export function applyCompiledBinaries(recipe: NormalizedRecipe): NormalizedRecipe {
  const text = readCompiledBinariesText(recipe.name);
  return text === undefined ? recipe : withCompiledBinaries(recipe, parseCompiledBinaries(text, recipe.name));
}
