import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jailwright, run } from '../support/root.js';

const REPOSITORY = fileURLToPath(new URL('../../../../', import.meta.url));
const haveStrace = existsSync('/usr/bin/strace');
if (!haveStrace) console.warn('skipping the jailwright new --from-binary test: strace is not installed (apt-get install -y strace; .ci/run does)');

/**
 * A scratch workspace shaped like the repository (package.json with workspaces, tsconfig.base.json, .changeset),
 * whose node_modules is the repository's: the generated package builds and tests against this core, and
 * nothing is written into the repository's recipes/ or .changeset/.
 */
async function scratchWorkspace(): Promise<string> {
  const workspace = await mkdtemp(path.join(tmpdir(), 'jailwright-new-'));
  await mkdir(path.join(workspace, 'recipes'));
  await mkdir(path.join(workspace, '.changeset'));
  await writeFile(path.join(workspace, 'package.json'), JSON.stringify({ private: true, workspaces: ['recipes/*'] }));
  await copyFile(path.join(REPOSITORY, 'tsconfig.base.json'), path.join(workspace, 'tsconfig.base.json'));
  await symlink(path.join(REPOSITORY, 'node_modules'), path.join(workspace, 'node_modules'));
  return workspace;
}

/**
 * The generated package's tools, from the repository, with an environment free of this vitest run and of CI
 * (which forbids writing a first snapshot), plus `extraEnv`.
 */
function tool(directory: string, command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VITEST|CI$|NODE_ENV$|TEST$)/.test(key))), ...extraEnv };
  env.NO_COLOR = '1';
  env.PATH = `${path.join(REPOSITORY, 'node_modules/.bin')}:${process.env.PATH ?? ''}`;
  return run('sh', ['-c', `cd "$1" && shift && exec "$@"`, 'sh', directory, command, ...args], { env, timeout: 120_000 });
}

describe('jailwright new', () => {
  let workspace: string;
  beforeAll(async () => {
    workspace = await scratchWorkspace();
  });
  afterAll(() => rm(workspace, { recursive: true, force: true }));

  it('refuses a bad name, an existing package and a source that is not https, with exit 2', async () => {
    const recipes = path.join(workspace, 'recipes');
    expect((await jailwright('new', 'Bad_Name', '--dir', recipes)).stderr).toContain('must be lower-case letters');
    const insecure = await jailwright('new', 'plain', '--dir', recipes, '--source', 'http://example.org/plain-1.0.tar.gz');
    expect(insecure.stderr).toContain('not an https URL');
    expect(insecure.code).toBe(2);
    await mkdir(path.join(recipes, 'taken'));
    const taken = await jailwright('new', 'taken', '--dir', recipes);
    expect(taken.stderr).toContain('already exists');
    expect(taken.code).toBe(2);
    expect(existsSync(path.join(recipes, 'plain'))).toBe(false);
  });

  it.skipIf(!haveStrace)('generates a package that builds, lints and tests at once, its probe test failing until written', async () => {
    const recipes = path.join(workspace, 'recipes');
    const created = await jailwright('new', 'demo-svc', '--dir', recipes, '--from-binary', '/usr/bin/id', '--source', 'https://example.org/demo-svc-1.0.tar.gz');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const directory = path.join(recipes, 'demo-svc');

    const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as Record<string, any>;
    expect(manifest.name).toBe('@jailwright/demo-svc');
    expect(manifest.bin).toEqual({ 'jailwright-demo-svc': 'dist/cli.js' });
    expect(manifest.peerDependencies).toEqual({ '@jailwright/core': '>=0.0.0 <1.0.0' });
    expect(manifest.devDependencies).toEqual({ '@jailwright/core': '*' });
    expect(manifest.publishConfig).toEqual({ access: 'public' });
    expect(manifest.files).toContain('recipe.yaml');
    const recipe = readFileSync(path.join(directory, 'recipe.yaml'), 'utf8');
    expect(recipe.split('\n')[0]).toBe('# yaml-language-server: $schema=../../node_modules/@jailwright/core/schema/recipe.schema.json');
    expect(recipe).toContain('# Source: https://example.org/demo-svc-1.0.tar.gz');
    expect(recipe).toContain('# to build it from source, add a build: profile (its steps, and the installed files it replaces) and run jailwright compile');
    // Pre-filled from the trace: the program and the locale files id read.
    expect(recipe).toMatch(/- \/usr\/bin\/id\n/);
    expect(recipe).toMatch(/\/usr\/lib\/locale\//);
    expect(readFileSync(path.join(workspace, '.changeset/demo-svc-recipe.md'), 'utf8')).toContain('"@jailwright/demo-svc": minor');

    const built = await tool(directory, 'tsup', []);
    expect(built.code, built.stderr).toBe(0);
    const typed = await tool(directory, 'tsc', ['--noEmit']);
    expect(typed.code, typed.stdout).toBe(0);
    const linted = await tool(directory, 'npm', ['run', 'lint']);
    expect(linted.code, linted.stdout + linted.stderr).toBe(0);
    expect(linted.stdout).toContain('lint clean');

    // The generated tests record their jails in a throwaway registry, as the repository's recipes do: a test
    // added here writes where a build records a jail (registryDirectory(), as registerJail does), with
    // JAILWRIGHT_REGISTRY naming a stand-in for the host's registry (/var/lib/jailwright/jails) that must stay empty.
    const hostRegistry = path.join(workspace, 'host-registry');
    const seen = path.join(workspace, 'registry-seen');
    await writeFile(
      path.join(directory, 'test/registry.test.ts'),
      `import { mkdirSync, writeFileSync } from 'node:fs';\n` +
        `import { registryDirectory } from '@jailwright/core';\n` +
        `import { it } from 'vitest';\n\n` +
        `it('records a jail where builds record theirs', () => {\n` +
        `  mkdirSync(registryDirectory(), { recursive: true });\n` +
        `  writeFileSync(\`\${registryDirectory()}/demo-svc.json\`, '{}');\n` +
        `  writeFileSync(${JSON.stringify(seen)}, registryDirectory());\n` +
        `});\n`,
    );
    const tested = await tool(directory, 'vitest', ['run'], { JAILWRIGHT_REGISTRY: hostRegistry });
    const output = tested.stdout + tested.stderr;
    expect(tested.code, output).toBe(1);
    expect(output).toContain('write the probe');
    expect(output).toMatch(/Tests\s+1 failed \| 5 passed/);
    expect(readFileSync(path.join(directory, 'test/__snapshots__/demo-svc.plan.txt'), 'utf8')).toContain('copy root /usr/bin/id');
    const registry = readFileSync(seen, 'utf8');
    expect(registry.startsWith(`${tmpdir()}/jailwright-test-registry-`), `the generated tests recorded their jails in ${registry}`).toBe(true);
    expect(existsSync(hostRegistry), 'nothing was recorded in the host registry').toBe(false);
    expect(existsSync(registry), 'the throwaway registry is removed when the run ends').toBe(false);
  }, 300_000); // tsup, tsc, publint and a nested vitest on a shared machine
});
