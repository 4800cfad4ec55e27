import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/recipe/load.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { learnConverged, learnFixture } from './support.js';
import { freeTcpUdpPort } from '../../src/testing/index.js';

explainSkipUnlessRoot('learning named');
const haveNamed = existsSync('/usr/sbin/named') && (await run('id', ['bind'])).code === 0;
if (isRoot && !haveNamed) console.warn('skipping learning named: bind9 is not installed (apt-get install -y bind9; .ci/run does)');

describe.skipIf(!isRoot || !haveNamed)("learn: Debian's named from a recipe naming only /usr/sbin/named, its config and zone", () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let recipe: string;
  let root: string;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    recipe = await writeRecipe(parent, 'named', await learnFixture('named', { PORT: await freeTcpUdpPort() }));
    root = path.join(parent, 'named');
  });
  afterAll(async () => {
    await jailwright('stop', recipe, '--root', root);
    await cleanup?.();
  });

  it('converges in at most 4 printed runs; start then answers the zone authoritatively from the jail', async () => {
    const { firstRun } = await learnConverged('named', recipe, root);
    // The first run learns both directories: the cache from its access(), the pid file's from the config.
    expect(firstRun).toContain('+ directory /var/cache/bind (owner bind)');
    expect(firstRun).toMatch(/\+ directory \/run\/named \(owner bind\): named by \/etc\/bind\/named\.conf:5/);

    const written = parseRecipe(await readFile(recipe, 'utf8'), recipe);
    expect(written.jail?.directories).toEqual(
      expect.arrayContaining([
        { path: '/var/cache/bind', owner: 'bind', mode: '0750' },
        { path: '/run/named', owner: 'bind', mode: '0750' },
      ]),
    );

    expect((await jailwright('build', recipe, '--root', root)).code).toBe(0);
    const start = await jailwright('start', recipe, '--root', root);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const check = await jailwright('check', recipe, '--root', root);
    expect(check.stdout).toMatch(/192\.0\.2\.1/);
    expect(check.code).toBe(0);
    expect((await jailwright('stop', recipe, '--root', root)).code).toBe(0);
  });
});
