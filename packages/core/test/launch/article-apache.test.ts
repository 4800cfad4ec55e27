import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchState } from '../../src/index.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent } from '../support/root.js';

explainSkipUnlessRoot("the article's Apache walk-through");

/** The example recipe the README's demo runs: Debian's Apache, jailed by the engine. */
const RECIPE = fileURLToPath(new URL('../../../../examples/article-apache/recipe.yaml', import.meta.url));
const haveApache = existsSync('/usr/sbin/apache2');
if (isRoot && !haveApache) console.warn('skipping the Apache walk-through: apache2 is not installed (apt-get install -y apache2; .ci/run does)');

describe.skipIf(!isRoot || !haveApache)("the article's Apache walk-through: build, start, HEAD / 200, www-data, access log, stop", () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let root: string;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    root = path.join(parent, 'apache');
  });
  afterAll(async () => {
    await jailwright('stop', RECIPE, '--root', root);
    await cleanup?.();
  });

  it('serves its page from the jail as www-data and stops clean', async () => {
    const built = await jailwright('build', RECIPE, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain('audit: nothing above low');
    expect((await jailwright('start', RECIPE, '--root', root)).code).toBe(0);

    const response = await fetch('http://127.0.0.1:8080/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<h1>Hello from a jailed Apache</h1>\n');

    const check = await jailwright('check', RECIPE, '--root', root);
    expect(check.stdout).toContain('all probes passed');
    expect(check.code).toBe(0);

    const state = JSON.parse(readFileSync(path.join(parent, '.apache.jailwright/launch/state.json'), 'utf8')) as LaunchState;
    const pid = state.service?.pid as number;
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+33\s+33\s+33\s+33$/m);
    expect(readFileSync(path.join(root, 'var/log/apache2/access.log'), 'utf8')).toMatch(/"GET \/ HTTP\/1\.1" 200 36/);

    expect((await jailwright('stop', RECIPE, '--root', root)).code).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});
