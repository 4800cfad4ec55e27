import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ExitCode, JailwrightError } from '../errors.js';

/** Scope that short recipe names (`bind`) live in. */
export const RECIPE_SCOPE = '@jailwright';

/** File name of a recipe inside its package or directory, unless package.json says otherwise. */
export const RECIPE_FILE_NAME = 'recipe.yaml';

export interface ResolveRecipeReferenceOptions {
  /** Where relative paths and local node_modules are looked up. Default: process.cwd(). */
  cwd?: string;
  /** The global node_modules directory; default: `npm root -g`, asked once. `false` skips it. */
  globalNodeModules?: string | false;
}

const packageNamePattern = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

let globalNodeModulesPromise: Promise<string | undefined> | undefined;

/** `npm root -g`, computed on first use and cached; undefined when npm cannot tell. */
function npmGlobalRoot(): Promise<string | undefined> {
  globalNodeModulesPromise ??= promisify(execFile)('npm', ['root', '-g'], { timeout: 15_000, encoding: 'utf8' }).then(
    ({ stdout }) => stdout.trim() || undefined,
    () => undefined,
  );
  return globalNodeModulesPromise;
}

async function kindOf(path: string): Promise<'file' | 'directory' | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? 'file' : info.isDirectory() ? 'directory' : undefined;
  } catch {
    return undefined;
  }
}

/** The recipe file of a package or recipe directory, given its package.json (if any): `"jailwright": { "recipe": … }`, else recipe.yaml. */
export function declaredRecipeFile(directory: string, packageJson: { jailwright?: { recipe?: unknown } } | undefined): string {
  const declared = packageJson?.jailwright?.recipe;
  return typeof declared === 'string' && declared !== '' ? resolve(directory, declared) : join(directory, RECIPE_FILE_NAME);
}

/** The recipe file a package or recipe directory declares. */
async function recipeFileIn(directory: string): Promise<string> {
  let packageJson: { jailwright?: { recipe?: unknown } } | undefined;
  try {
    packageJson = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as typeof packageJson;
  } catch {
    // No or unreadable package.json: a plain recipe directory.
  }
  return declaredRecipeFile(directory, packageJson);
}

/** node_modules directories Node would search from `directory`, nearest first. */
function nodeModulesFrom(directory: string): string[] {
  return createRequire(join(directory, 'noop.js')).resolve.paths('noop') ?? [];
}

function isPathLike(reference: string): boolean {
  return (
    reference === '.' ||
    reference === '..' ||
    reference.startsWith('./') ||
    reference.startsWith('../') ||
    isAbsolute(reference) ||
    /\.ya?ml$/.test(reference) ||
    (reference.includes('/') && !reference.startsWith('@'))
  );
}

/**
 * Turns what a user typed — a path to a recipe file or directory, a package name (`@jailwright/bind`) or a
 * short name (`bind`) — into the absolute path of a recipe.yaml.
 */
export async function resolveRecipeReference(reference: string, options: ResolveRecipeReferenceOptions = {}): Promise<string> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const tried: string[] = [];

  const asPath = resolve(cwd, reference);
  const kind = await kindOf(asPath);
  if (kind === 'file') return asPath;
  if (kind === 'directory') {
    const recipe = await recipeFileIn(asPath);
    if ((await kindOf(recipe)) === 'file') return recipe;
    tried.push(`${recipe} (directory ${asPath} holds no recipe)`);
  } else {
    tried.push(`${asPath} (no such file or directory)`);
  }

  if (!isPathLike(reference) && packageNamePattern.test(reference)) {
    const names = reference.startsWith('@') ? [reference] : [`${RECIPE_SCOPE}/${reference}`, reference];
    const globalNodeModules = options.globalNodeModules === undefined ? await npmGlobalRoot() : options.globalNodeModules || undefined;
    const ownLocation = dirname(fileURLToPath(import.meta.url));
    const searched = [
      ...nodeModulesFrom(cwd),
      ...(globalNodeModules ? [globalNodeModules] : []),
      ...nodeModulesFrom(ownLocation),
    ];
    const directories = [...new Set(searched)];
    for (const name of names) {
      for (const directory of directories) {
        const packageDirectory = join(directory, name);
        if ((await kindOf(join(packageDirectory, 'package.json'))) !== 'file') continue;
        const recipe = await recipeFileIn(packageDirectory);
        if ((await kindOf(recipe)) === 'file') return recipe;
        tried.push(`${recipe} (package ${name} is installed at ${packageDirectory} but holds no recipe)`);
      }
      tried.push(`package ${name} in: ${directories.join(', ')}`);
    }
    if (options.globalNodeModules === undefined && !globalNodeModules) tried.push('the global node_modules (`npm root -g` failed)');
  }

  throw new JailwrightError(`recipe ${JSON.stringify(reference)} not found. Tried:\n${tried.map((line) => `  - ${line}`).join('\n')}`, {
    exitCode: ExitCode.badInput,
    hint: `Give the path of a recipe.yaml or of a directory holding one, or install the recipe package (npm i -g ${RECIPE_SCOPE}/<name>) and name it as <name> or ${RECIPE_SCOPE}/<name>.`,
  });
}
