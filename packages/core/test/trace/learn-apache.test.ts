import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/recipe/load.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('learning Apache');
const haveApache = existsSync('/usr/sbin/apache2');
if (isRoot && !haveApache) console.warn('skipping learning Apache: apache2 is not installed (apt-get install -y apache2; .ci/run does)');

const PORT = 18392;
/** Only the program and its config: everything else is learned. */
const RECIPE = `# yaml-language-server: $schema=https://unpkg.com/@jailwright/core/schema/recipe.schema.json
# Apache from nothing but the program and its config.
specVersion: 1
name: apache-learned
jail:
  include: [base]
  files:
    - /usr/sbin/apache2   # the server
  write:
    - path: /etc/apache2/apache2.conf
      content: |
        ServerRoot /etc/apache2
        ServerName localhost
        Listen 127.0.0.1:${PORT}
        PidFile /run/apache2/apache2.pid
        LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
        LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
        LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
        LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
        TypesConfig /etc/mime.types
        ErrorLog /var/log/apache2/error.log
        LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
        CustomLog /var/log/apache2/access.log common
        DocumentRoot /var/www/html
        DirectoryIndex index.html
        <Directory />
          Require all granted
        </Directory>
    - { path: /var/www/html/index.html, content: "<h1>Hello from a learned Apache</h1>\\n" }
launch:
  mode: engine-chroot
  command: [/usr/sbin/apache2, -f, /etc/apache2/apache2.conf, -DFOREGROUND]
  user: www-data
  stop: { timeoutSeconds: 5 }
syslog: { method: none }
probes:
  - { type: http, port: ${PORT}, path: /, method: HEAD }
`;

describe.skipIf(!isRoot || !haveApache)('learn: Apache from a recipe naming only /usr/sbin/apache2 and its config', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let recipe: string;
  let root: string;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    recipe = await writeRecipe(parent, 'apache', RECIPE);
    root = path.join(parent, 'apache');
  });
  afterAll(async () => {
    await jailwright('stop', recipe, '--root', root);
    await cleanup?.();
  });

  it('converges in at most 4 runs, writes the additions with comments, and start then serves HEAD / 200', async () => {
    const started = Date.now();
    const learned = await jailwright('learn', recipe, '--root', root, '--write');
    const seconds = (Date.now() - started) / 1000;
    console.info(`learn on Apache: ${learned.stdout.match(/learned in .*/)?.[0] ?? learned.stdout} (wall ${seconds.toFixed(1)} s)`);
    expect(learned.stderr).toBe('');
    expect(learned.code).toBe(0);
    const runs = Number(/learned in (\d+) runs?/.exec(learned.stdout)?.[1]);
    expect(runs).toBeLessThanOrEqual(4);
    expect(seconds).toBeLessThan(30);
    expect(learned.stdout).toContain('+ file /usr/lib/apache2/modules/mod_mime.so');
    expect(learned.stdout).toContain('+ library libgcc_s.so.1');

    const text = await readFile(recipe, 'utf8');
    expect(text).toContain('# Apache from nothing but the program and its config.\n');
    expect(text).toContain('    - /usr/sbin/apache2   # the server\n');
    const written = parseRecipe(text, recipe);
    expect(written.jail?.files).toEqual(expect.arrayContaining(['/usr/lib/apache2/modules/mod_mpm_event.so', '/etc/mime.types']));
    expect(written.jail?.libraries).toContain('libgcc_s.so.1');
    expect(written.jail?.users).toContain('www-data');
    expect(written.jail?.directories).toContainEqual({ path: '/var/log/apache2', owner: 'www-data', mode: '0750' });
    expect(text).not.toMatch(/shadow|keepSetuid|\/proc|\/sys\//);

    expect((await jailwright('build', recipe, '--root', root)).code).toBe(0);
    const start = await jailwright('start', recipe, '--root', root);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const response = await fetch(`http://127.0.0.1:${PORT}/`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect((await jailwright('stop', recipe, '--root', root)).code).toBe(0);
  });
});
