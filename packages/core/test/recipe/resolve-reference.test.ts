import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, JailwrightError } from '../../src/errors.js';
import { resolveRecipeReference } from '../../src/recipe/index.js';

const recipeText = 'specVersion: 1\nname: demo\njail: {}\n';
let root: string;
let project: string;
let globalNodeModules: string;

async function writePackage(directory: string, manifest: object, files: Record<string, string>): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'package.json'), JSON.stringify(manifest));
  for (const [name, content] of Object.entries(files)) await writeFile(join(directory, name), content);
}

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'jailwright-resolve-')));
  project = join(root, 'project');
  globalNodeModules = join(root, 'global', 'lib', 'node_modules');
  await writePackage(join(project, 'node_modules', '@jailwright', 'demo'), { name: '@jailwright/demo' }, { 'recipe.yaml': recipeText });
  await writePackage(
    join(project, 'node_modules', '@jailwright', 'custom'),
    { name: '@jailwright/custom', jailwright: { recipe: 'jail/custom.yaml' } },
    {},
  );
  await mkdir(join(project, 'node_modules', '@jailwright', 'custom', 'jail'));
  await writeFile(join(project, 'node_modules', '@jailwright', 'custom', 'jail', 'custom.yaml'), recipeText);
  await writePackage(join(project, 'node_modules', '@jailwright', 'empty'), { name: '@jailwright/empty' }, {});
  await writePackage(join(globalNodeModules, '@jailwright', 'global-only'), { name: '@jailwright/global-only' }, { 'recipe.yaml': recipeText });
  await writePackage(join(project, 'local-recipe'), { name: 'local' }, { 'recipe.yaml': recipeText });
  await writeFile(join(project, 'standalone.yaml'), recipeText);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveRecipeReference', () => {
  it('returns an existing file path, relative to cwd or absolute', async () => {
    expect(await resolveRecipeReference('standalone.yaml', { cwd: project, globalNodeModules: false })).toBe(join(project, 'standalone.yaml'));
    expect(await resolveRecipeReference(join(project, 'standalone.yaml'), { globalNodeModules: false })).toBe(join(project, 'standalone.yaml'));
  });

  it('finds recipe.yaml in a directory', async () => {
    expect(await resolveRecipeReference('./local-recipe', { cwd: project, globalNodeModules: false })).toBe(join(project, 'local-recipe', 'recipe.yaml'));
  });

  it('finds a package by name from cwd', async () => {
    expect(await resolveRecipeReference('@jailwright/demo', { cwd: project, globalNodeModules: false })).toBe(
      join(project, 'node_modules', '@jailwright', 'demo', 'recipe.yaml'),
    );
  });

  it('finds a package from a subdirectory of cwd, as Node would', async () => {
    const nested = join(project, 'local-recipe');
    expect(await resolveRecipeReference('@jailwright/demo', { cwd: nested, globalNodeModules: false })).toBe(
      join(project, 'node_modules', '@jailwright', 'demo', 'recipe.yaml'),
    );
  });

  it('turns a short name into @jailwright/<name>', async () => {
    expect(await resolveRecipeReference('demo', { cwd: project, globalNodeModules: false })).toBe(
      join(project, 'node_modules', '@jailwright', 'demo', 'recipe.yaml'),
    );
  });

  it('follows the package.json "jailwright.recipe" field', async () => {
    expect(await resolveRecipeReference('custom', { cwd: project, globalNodeModules: false })).toBe(
      join(project, 'node_modules', '@jailwright', 'custom', 'jail', 'custom.yaml'),
    );
  });

  it('looks in the global node_modules', async () => {
    expect(await resolveRecipeReference('global-only', { cwd: project, globalNodeModules })).toBe(
      join(globalNodeModules, '@jailwright', 'global-only', 'recipe.yaml'),
    );
    await expect(resolveRecipeReference('global-only', { cwd: project, globalNodeModules: false })).rejects.toThrow(/not found/);
  });

  it('says what it tried when nothing matches, with exit code 2', async () => {
    const error = await resolveRecipeReference('no-such-recipe', { cwd: project, globalNodeModules }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JailwrightError);
    expect((error as JailwrightError).exitCode).toBe(ExitCode.badInput);
    const message = (error as JailwrightError).message;
    expect(message).toContain('recipe "no-such-recipe" not found');
    expect(message).toContain(join(project, 'no-such-recipe'));
    expect(message).toContain(`package @jailwright/no-such-recipe in: ${join(project, 'node_modules')}`);
    expect(message).toContain(globalNodeModules);
    expect(message).toContain('package no-such-recipe in:');
  });

  it('reports an installed package that holds no recipe', async () => {
    await expect(resolveRecipeReference('empty', { cwd: project, globalNodeModules: false })).rejects.toThrow(
      /package @jailwright\/empty is installed at .* but holds no recipe/,
    );
  });

  it("also searches from this package's own install location, so global recipes that depend on core are found", async () => {
    // In this monorepo core itself is linked at <repo>/node_modules/@jailwright/core: reachable only from core's location.
    await expect(resolveRecipeReference('core', { cwd: root, globalNodeModules: false })).rejects.toThrow(
      /package @jailwright\/core is installed at \S*node_modules\/@jailwright\/core but holds no recipe/,
    );
  });

  it('asks `npm root -g` for the global node_modules when not told', async () => {
    const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
    await expect(resolveRecipeReference('no-such-recipe', { cwd: project })).rejects.toThrow(npmRoot);
  });

  it('does not look up packages for a path-like reference', async () => {
    const error = (await resolveRecipeReference('./demo', { cwd: project, globalNodeModules: false }).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain(`${join(project, 'demo')} (no such file or directory)`);
    expect(error.message).not.toContain('package');
  });
});
