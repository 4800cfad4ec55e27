// The repository's own rules for recipe packages (CONTRIBUTING.md): run by the root `npm test` after the build.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(REPOSITORY, 'packages/core/dist/cli/main.js');

/** Everything wrong with the recipe package in `directory`, as sentences; [] when it follows the rules. */
function recipeProblems(directory, changesetDirectory = path.join(REPOSITORY, '.changeset')) {
  const problems = [];
  const has = (file) => existsSync(path.join(directory, file));
  if (!has('package.json')) return ['no package.json'];
  const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8'));
  if (!has('recipe.yaml')) problems.push('no recipe.yaml');
  if (!has('README.md')) problems.push('no README.md');
  const changesets = existsSync(changesetDirectory)
    ? readdirSync(changesetDirectory).filter((file) => file.endsWith('.md') && file !== 'README.md').map((file) => readFileSync(path.join(changesetDirectory, file), 'utf8'))
    : [];
  const named = changesets.some((text) => (/^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '').includes(`"${manifest.name}"`));
  if (!has('CHANGELOG.md') && !named) problems.push(`neither a CHANGELOG.md nor a changeset naming "${manifest.name}"`);
  if (manifest.publishConfig?.access !== 'public') problems.push('publishConfig.access is not "public"');
  if (!Array.isArray(manifest.files) || !manifest.files.includes('recipe.yaml')) problems.push('files does not contain recipe.yaml');
  if (!manifest.bin || Object.keys(manifest.bin).length === 0) problems.push('no bin');
  if (manifest.peerDependencies?.['@jailwright/core'] === undefined) problems.push('no peerDependencies["@jailwright/core"]');
  if (has('recipe.yaml')) {
    let output;
    try {
      output = execFileSync(process.execPath, [CLI, 'lint', directory, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      output = error.stdout || '';
      if (!output) problems.push(`jailwright lint failed: ${error.stderr}`);
    }
    for (const finding of output ? JSON.parse(output).findings : []) problems.push(`lint: ${finding.file}:${finding.line}: ${finding.rule}: ${finding.message}`);
  }
  return problems;
}

const recipes = readdirSync(path.join(REPOSITORY, 'recipes'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

test('the recipes folder holds recipe packages', () => {
  assert.ok(recipes.length >= 2, `expected the shipped recipes under recipes/, found ${recipes.join(', ') || 'none'}`);
});

for (const recipe of recipes) {
  test(`recipes/${recipe}: recipe.yaml, README, CHANGELOG or changeset, publishConfig.access, files, bin, lint clean`, () => {
    assert.deepEqual(recipeProblems(path.join(REPOSITORY, 'recipes', recipe)), []);
  });
}

test('the rules catch a package that breaks them', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'jailwright-repository-'));
  try {
    const directory = path.join(scratch, 'recipes', 'broken');
    mkdirSync(directory, { recursive: true });
    mkdirSync(path.join(scratch, '.changeset'));
    cpSync(path.join(REPOSITORY, 'recipes/bind/recipe.yaml'), path.join(directory, 'recipe.yaml'));
    const recipe = readFileSync(path.join(directory, 'recipe.yaml'), 'utf8');
    writeFileSync(path.join(directory, 'recipe.yaml'), recipe.replace(/^probes:\n(  - .*\n)+/m, ''));
    writeFileSync(path.join(directory, 'package.json'), JSON.stringify({ name: '@jailwright/broken', files: ['dist'] }));
    assert.deepEqual(
      recipeProblems(directory, path.join(scratch, '.changeset')).map((problem) => problem.replace(/^lint: .*?: (\w[\w-]*): .*/, 'lint: $1')),
      ['no README.md', 'neither a CHANGELOG.md nor a changeset naming "@jailwright/broken"', 'publishConfig.access is not "public"', 'files does not contain recipe.yaml', 'no bin', 'no peerDependencies["@jailwright/core"]', 'lint: required'],
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
