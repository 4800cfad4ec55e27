import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRecipeVersion, recipeVersion } from '../../src/recipe/recipe-version.js';

const SHA256 = '0123456789abcdef'.repeat(4);
let root: string;

async function write(file: string, content: string): Promise<string> {
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, content);
  return file;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'jailwright-recipe-version-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('recipeVersion', () => {
  it("names the package whose recipe the file is: its recipe.yaml, or the file package.json's jailwright.recipe declares", async () => {
    const plain = join(root, 'bind');
    await write(join(plain, 'package.json'), JSON.stringify({ name: '@jailwright/bind', version: '1.2.0' }));
    const recipe = await write(join(plain, 'recipe.yaml'), 'name: bind\n');
    expect(await recipeVersion(recipe, SHA256)).toEqual({ package: { name: '@jailwright/bind', version: '1.2.0' }, sha256: SHA256 });
    expect(formatRecipeVersion(await recipeVersion(recipe, SHA256))).toBe('@jailwright/bind@1.2.0 (sha256 0123456789ab)');

    const declared = join(root, 'custom');
    await write(join(declared, 'package.json'), JSON.stringify({ name: 'custom-jail', version: '0.3.1', jailwright: { recipe: 'jail/custom.yaml' } }));
    const custom = await write(join(declared, 'jail/custom.yaml'), 'name: custom\n');
    expect((await recipeVersion(custom, SHA256)).package).toEqual({ name: 'custom-jail', version: '0.3.1' });
  });

  it('names no package for a recipe its nearest package.json does not declare (a fixture in a package, a second recipe)', async () => {
    const fixture = await write(join(root, 'bind/test/fixtures/recipe.yaml'), 'name: fixture\n');
    const second = await write(join(root, 'bind/variant.yaml'), 'name: variant\n');
    const noVersion = join(root, 'unversioned');
    await write(join(noVersion, 'package.json'), JSON.stringify({ name: 'unversioned' }));
    const unversioned = await write(join(noVersion, 'recipe.yaml'), 'name: unversioned\n');
    for (const file of [fixture, second, unversioned]) expect(await recipeVersion(file, SHA256), file).toEqual({ package: undefined, sha256: SHA256 });
    expect(formatRecipeVersion(await recipeVersion(second, SHA256))).toBe('sha256 0123456789ab');
    expect(formatRecipeVersion(await recipeVersion(undefined, undefined))).toBe('unknown');
  });
});
