import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRecipe, type LoadedRecipe } from '../../src/recipe/load.js';
import { rootTestsSkipReason } from '../../src/testing/describe-recipe.js';

const DEMO_RECIPE = fileURLToPath(new URL('../fixtures/demo/recipe.yaml', import.meta.url));
const UNSET = 'JAILWRIGHT_TEST_SOURCE_NEVER_SET';

/** The demo recipe (it has no probes) with the probes given. */
async function demoWith(probes: unknown[]): Promise<LoadedRecipe> {
  const loaded = await loadRecipe(DEMO_RECIPE);
  return { ...loaded, recipe: { ...loaded.recipe, probes } as LoadedRecipe['recipe'] };
}
const TCP = { type: 'tcp', host: '127.0.0.1', port: 7 };
const PROCESS = { type: 'process', user: 'jw-demo' };

describe("describeRecipe's root tests: when they run, and why not", () => {
  it('run as root with every required file present and variable set, and a probe of the service', async () => {
    const recipe = await demoWith([TCP, PROCESS]);
    process.env.JAILWRIGHT_TEST_SOURCE_SET = '/tmp/some-source';
    try {
      expect(rootTestsSkipReason(recipe, [{ path: '/bin/sh', install: 'x' }, { env: 'JAILWRIGHT_TEST_SOURCE_SET', install: 'y' }], true)).toBeUndefined();
    } finally {
      delete process.env.JAILWRIGHT_TEST_SOURCE_SET;
    }
  });

  it('skip without root, naming why', async () => {
    expect(rootTestsSkipReason(await demoWith([TCP]), [], false)).toMatch(/^it needs root/);
  });

  it('skip when a source variable is unset or a host file is missing, saying what to do about each', async () => {
    const recipe = await demoWith([TCP]);
    delete process.env[UNSET];
    expect(rootTestsSkipReason(recipe, [{ env: UNSET, install: 'point it at a source tarball' }, { path: '/no/such/program', install: 'apt-get install -y it' }], true)).toBe(
      `${UNSET} is not set (point it at a source tarball); /no/such/program is missing (apt-get install -y it)`,
    );
    process.env[UNSET] = '';
    try {
      expect(rootTestsSkipReason(recipe, [{ env: UNSET, install: 'z' }], true), 'an empty variable names no source').toBe(`${UNSET} is not set (z)`);
    } finally {
      delete process.env[UNSET];
    }
  });

  it('skip while the recipe has no probe of what the service does', async () => {
    expect(rootTestsSkipReason(await demoWith([PROCESS]), [], true)).toBe('the recipe has no probe of its service yet');
    expect(rootTestsSkipReason(await demoWith([]), [], true)).toBe('the recipe has no probe of its service yet');
    expect(rootTestsSkipReason(undefined, [], true), 'an unreadable recipe (the schema test says why)').toBe('the recipe has no probe of its service yet');
  });
});
