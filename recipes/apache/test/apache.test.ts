import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandRunner, describeRecipe } from '@jailwright/core/testing';
import { describe, expect, it } from 'vitest';
import { recipeFile } from '../src/index.js';

/** The package's own command, as a user who installed only @jailwright/apache runs it. */
const command = { name: 'jailwright-apache', script: fileURLToPath(new URL('../dist/cli.js', import.meta.url)) };
const jailwrightApache = commandRunner(command.script);

describeRecipe(recipeFile, {
  command,
  requires: [{ path: '/usr/sbin/apache2', install: 'apt-get install -y apache2; .ci/run does' }],
  async whileRunning({ root }) {
    const response = await fetch('http://127.0.0.1:8080/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<h1>Hello from a jailed Apache</h1>\n');
    // The article's proof that the jailed server works: its access log, written inside the jail.
    expect(readFileSync(path.join(root, 'var/log/apache2/access.log'), 'utf8')).toMatch(/"GET \/ HTTP\/1\.1" 200 36/);
  },
});

describe('jailwright-apache', () => {
  it('plans without root: --dry-run lists apache2, its modules and libgcc_s', async () => {
    const plan = await jailwrightApache('build', '--root', '/srv/jails/apache-plan', '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/copy .* \/usr\/sbin\/apache2/);
    expect(plan.stdout).toMatch(/mod_mpm_event\.so/);
    expect(plan.stdout).toMatch(/libgcc_s\.so\.1/);
  });
});
