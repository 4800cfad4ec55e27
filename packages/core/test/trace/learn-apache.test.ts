import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/recipe/load.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { debianApacheConfig, learnConverged, learnFixture } from './support.js';
import { freeTcpPort } from '../../src/testing/index.js';

explainSkipUnlessRoot('learning Apache');
const haveApache = existsSync('/usr/sbin/apache2') && existsSync('/etc/apache2/mods-enabled');
if (isRoot && !haveApache) console.warn('skipping learning Apache: apache2 is not installed (apt-get install -y apache2; .ci/run does)');

describe.skipIf(!isRoot || !haveApache)("learn: Debian's Apache from a recipe naming only /usr/sbin/apache2 and its config directory", () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let recipe: string;
  let root: string;
  let port: number;
  let config: string;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    port = await freeTcpPort();
    config = path.join(parent, 'apache2');
    await debianApacheConfig(config, port);
    recipe = await writeRecipe(parent, 'apache', await learnFixture('apache', { CONFIG: config, PORT: port }));
    root = path.join(parent, 'apache');
  });
  afterAll(async () => {
    await jailwright('stop', recipe, '--root', root);
    await cleanup?.();
  });

  it('converges in at most 4 printed runs, every enabled module in the first, writes the recipe keeping comments; start then serves HEAD / 200', async () => {
    const { stdout, firstRun } = await learnConverged("Debian's Apache", recipe, root);
    // All misses per run: Apache stops at the first LoadModule it cannot load, yet the first run learns every
    // enabled module, found through the IncludeOptional mods-enabled/*.load listing of the config directory.
    const enabled = readdirSync('/etc/apache2/mods-enabled').filter((name) => name.endsWith('.load'));
    expect(enabled.length).toBeGreaterThan(5);
    for (const load of enabled) expect(firstRun).toContain(`/usr/lib/apache2/modules/mod_${load.replace(/\.load$/, '')}.so: named by ${config}/mods-enabled/${load}`);
    expect(firstRun).toContain('+ file /etc/mime.types: named by');
    expect(firstRun).toMatch(/\+ directory \/var\/log\/apache2 \(owner www-data\): named by .*apache2\.conf/);
    expect(firstRun).toMatch(/\+ directory \/run\/apache2 \(owner www-data\): named by .*apache2\.conf/);
    // Kernel files are reported as skipped, never added.
    expect(stdout).toMatch(/! \/(proc|sys)\/\S+: asked for .* never copied/);

    const text = await readFile(recipe, 'utf8');
    expect(text).toContain("# Debian's Apache from nothing but the program and its config directory.\n");
    expect(text).toContain('    - /usr/sbin/apache2   # the server\n');
    const written = parseRecipe(text, recipe);
    expect(written.jail?.files).toEqual(expect.arrayContaining(['/usr/lib/apache2/modules/mod_mpm_event.so', '/etc/mime.types']));
    expect(written.jail?.libraries).toContain('libgcc_s.so.1');
    expect(written.jail?.users).toContain('www-data');
    expect(written.jail?.directories).toContainEqual({ path: '/var/log/apache2', owner: 'www-data', mode: '0750' });
    expect(text).not.toMatch(/shadow|keepSetuid|\/proc|\/sys\//);
    const jail = path.join(parent, '.apache.jailwright');
    expect((await run('find', [jail, '-path', '*/proc/*', '-o', '-path', '*/sys/*'])).stdout.split('\n').filter((line) => /\/generation-\d+\/(proc|sys)\/./.test(line))).toEqual([]);

    expect((await jailwright('build', recipe, '--root', root)).code).toBe(0);
    const start = await jailwright('start', recipe, '--root', root);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect((await jailwright('stop', recipe, '--root', root)).code).toBe(0);
  });
});
