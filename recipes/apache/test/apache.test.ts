import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeFile } from '../src/index.js';
import { jailwrightApache } from './run-bin.js';

const isRoot = process.getuid?.() === 0;
const haveApache = existsSync('/usr/sbin/apache2');
if (!isRoot) console.warn('skipping the jailed Apache test: it needs root (chroot, namespaces); CI runs it as root');
else if (!haveApache) console.warn('skipping the jailed Apache test: apache2 is not installed (apt-get install -y apache2; .ci/run does)');

describe('jailwright-apache', () => {
  it('teaches its commands with --help, and names its recipe', async () => {
    const help = await jailwrightApache('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: jailwright-apache <command>/);
    expect(help.stdout).toContain('/srv/jails/apache');
    expect((await jailwrightApache('recipe')).stdout.trim()).toBe(recipeFile);
    const unknown = await jailwrightApache('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('plans without root: --dry-run lists apache2, its modules and libgcc_s', async () => {
    const plan = await jailwrightApache('build', '--root', '/srv/jails/apache-plan', '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/copy .* \/usr\/sbin\/apache2/);
    expect(plan.stdout).toMatch(/mod_mpm_event\.so/);
    expect(plan.stdout).toMatch(/libgcc_s\.so\.1/);
  });
});

describe.skipIf(!isRoot || !haveApache)("the article's walk-through: build, start, HEAD / 200, www-data, access log, stop", () => {
  let parent: string;
  let root: string;
  beforeAll(async () => {
    parent = await mkdtemp('/var/lib/jailwright-apache-test-');
    await chmod(parent, 0o755);
    root = path.join(parent, 'apache');
  });
  afterAll(async () => {
    await jailwrightApache('stop', '--root', root);
    await rm(parent, { recursive: true, force: true });
  });

  it('serves its page from the jail as www-data, passes its probes and stops clean', async () => {
    const built = await jailwrightApache('build', '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain('audit: nothing above low');
    const started = await jailwrightApache('start', '--root', root);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/landlock: Landlock scopes abstract-unix-socket, signal in force/);

    const response = await fetch('http://127.0.0.1:8080/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<h1>Hello from a jailed Apache</h1>\n');

    const check = await jailwrightApache('check', '--root', root);
    expect(check.stdout).toContain('all probes passed');
    expect(check.code).toBe(0);

    const state = JSON.parse(readFileSync(path.join(parent, '.apache.jailwright/launch/state.json'), 'utf8')) as { service?: { pid: number } };
    const pid = state.service?.pid as number;
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+33\s+33\s+33\s+33$/m);
    expect(readFileSync(path.join(root, 'var/log/apache2/access.log'), 'utf8')).toMatch(/"GET \/ HTTP\/1\.1" 200 36/);
    expect((await jailwrightApache('audit', '--root', root)).code).toBe(0);

    expect((await jailwrightApache('stop', '--root', root)).code).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});
