import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProbe } from '@jailwright/core';
import { commandRunner, describeRecipe } from '@jailwright/core/testing';
import { describe, expect, it } from 'vitest';
import { recipeFile } from '../src/index.js';

/** The package's own command, as a user who installed only @jailwright/apache runs it. */
const command = { name: 'jailwright-apache', script: fileURLToPath(new URL('../dist/cli.js', import.meta.url)) };
const jailwrightApache = commandRunner(command.script);

describeRecipe(recipeFile, {
  command,
  requires: [{ path: '/usr/sbin/apache2', install: 'apt-get install -y apache2; .ci/run does' }],
  async whileRunning({ root, recipe, jailwright }) {
    const response = await fetch('http://127.0.0.1:8080/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<h1>Hello from a jailed Apache</h1>\n');
    // The article's proof that the jailed server works: its access log, written inside the jail.
    const accessLog = path.join(root, 'var/log/apache2/access.log');
    expect(readFileSync(accessLog, 'utf8')).toMatch(/"GET \/ HTTP\/1\.1" 200 36/);

    // The access log is kept across rebuilds: a line of an earlier run must not pass check's log probe. Alone, with
    // no request of its own, the probe passes on none of the lines already there (that one, and those above)...
    appendFileSync(accessLog, '192.0.2.1 - - [01/Jan/2000:00:00:00 +0000] "GET / HTTP/1.1" 200 36\n');
    const logProbe = recipe.recipe.probes?.find((probe) => probe.type === 'log');
    expect(logProbe).toBeDefined();
    const alone = await runProbe({ ...logProbe!, timeoutMs: 1_000 }, { root });
    expect(alone.ok, `the log probe passed on a line written before it started: ${alone.actual}`).toBe(false);
    // ...and with check's http probe it passes on the line that probe's own request wrote.
    const check = await jailwright('check', '--json');
    expect(check.code, check.stdout).toBe(0);
    const results = (JSON.parse(check.stdout) as { results: { probe: string; actual: string }[] }).results;
    expect(results.find((result) => result.probe.startsWith('log '))?.actual).toMatch(/^127\.0\.0\.1 .*"HEAD \/ HTTP\/1\.1" 200 -$/);
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
