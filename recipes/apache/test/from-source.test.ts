import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeJailParent, runCommand } from '@jailwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianSourceTarballs } from '../../../scripts/debian-source.mjs';

/**
 * httpd built from Debian bookworm's apache2 source package (its upstream tarball) with the recipe's
 * profile (configure --prefix=/opt/apache plus the recipe's flags; here into a scratch prefix), jailed by the
 * recipe in place of Debian's apache2 and its modules, answering HEAD / with 200. Slow (a real compile): run
 * by `npm run test:from-source`, which the root `npm test` runs after the other tests.
 */
const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('skipping Apache from source: it needs root (apt-get source, an install prefix, a jail); CI runs it as root');

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** HEAD / with node's own client: the status line and the Server header. */
function head(port: number): Promise<{ status: number; server: string }> {
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, path: '/', method: 'HEAD', timeout: 5000 }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, server: String(response.headers.server ?? '') });
    });
    call.on('timeout', () => call.destroy(new Error(`no answer from 127.0.0.1:${port} in 5 s`)));
    call.on('error', reject);
    call.end();
  });
}

describe.skipIf(!isRoot)("httpd from Debian's apache2 source package: compiled, jailed, answering", () => {
  let parent: string;
  let removeParent: () => Promise<void>;
  let stateDir: string;
  let prefix: string;
  let root: string;
  // A private state directory: the compile record affects this test's builds only, not the machine's apache jail.
  const jailwrightApache = (...args: string[]) => runCommand(process.execPath, [BIN, ...args], { env: { ...process.env, JAILWRIGHT_STATE_DIR: stateDir }, timeout: 30 * 60_000 });

  beforeAll(async () => {
    ({ parent, cleanup: removeParent } = await makeJailParent('jailwright-apache-from-source-'));
    stateDir = path.join(parent, 'state');
    prefix = path.join(parent, 'apache');
    root = path.join(parent, 'jail');
  });
  afterAll(async () => {
    await jailwrightApache('stop', '--root', root);
    await removeParent();
  });

  it('compiles the apache2 source package with the recipe profile, checking its sha256', async () => {
    const { apache2: tarball } = debianSourceTarballs(['apache2']);
    const started = performance.now();
    const compiled = await jailwrightApache('compile', '--source', tarball, '--prefix', prefix, '--jobs', '2', '--log', path.join(parent, 'compile.log'), '--json');
    const seconds = Math.round((performance.now() - started) / 1000);
    expect(compiled.stderr).toBe('');
    expect(compiled.code, readFileSync(path.join(parent, 'compile.log'), 'utf8').slice(-3000)).toBe(0);
    const outcome = JSON.parse(compiled.stdout) as { source: { verified: boolean }; phases: { name: string; seconds: number; cpuSeconds: number }[] };
    console.log(`httpd from ${path.basename(tarball)}: compiled in ${seconds}s, ${Math.round(outcome.phases.reduce((sum, phase) => sum + phase.cpuSeconds, 0))} CPU seconds (${outcome.phases.map((phase) => `${phase.name} ${phase.seconds}s/${phase.cpuSeconds} cpu`).join(', ')})`);
    // The recipe knows bookworm's 2.4.68; a later point release of the archive is built unverified, and says so.
    expect(outcome.source.verified).toBe(path.basename(tarball) === 'apache2_2.4.68.orig.tar.gz');
    const modules = await execFileAsync(path.join(prefix, 'bin/httpd'), ['-l']);
    expect(modules.stdout).toContain('mod_log_config.c');
    expect(modules.stdout).toContain('mod_unixd.c');
  }, 30 * 60_000);

  it('jails the compiled httpd and modules in place of Debian\'s, answers HEAD / with 200 as www-data, stops clean', async () => {
    const built = await jailwrightApache('build', '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain(`built from source by \`jailwright compile\` (profile default, ${prefix})`);
    expect(sha256(path.join(root, 'usr/sbin/apache2'))).toBe(sha256(path.join(prefix, 'bin/httpd')));
    for (const module of ['mod_mpm_event.so', 'mod_authz_core.so', 'mod_dir.so', 'mod_mime.so']) {
      expect(sha256(path.join(root, 'usr/lib/apache2/modules', module)), module).toBe(sha256(path.join(prefix, 'modules', module)));
    }

    const started = await jailwrightApache('start', '--root', root);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const answer = await head(8080);
    expect(answer.status).toBe(200);
    expect(answer.server).toMatch(/^Apache\/2\.4\.\d+/);
    const page = await fetch('http://127.0.0.1:8080/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('jailed Apache');
    const check = await jailwrightApache('check', '--root', root);
    expect(check.stdout).toContain('all probes passed');
    expect(check.code).toBe(0);

    const state = JSON.parse(readFileSync(path.join(parent, '.jail.jailwright/launch/state.json'), 'utf8')) as { service?: { pid: number } };
    const pid = state.service!.pid;
    expect(sha256(`/proc/${pid}/exe`)).toBe(sha256(path.join(prefix, 'bin/httpd')));
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+33\s+33\s+33\s+33$/m);
    expect(readlinkSync(`/proc/${pid}/root`)).toBe(realpathSync(root));
    expect(readFileSync(path.join(root, 'var/log/apache2/access.log'), 'utf8')).toMatch(/"HEAD \/ HTTP\/1\.1" 200[^\n]*\n.*"GET \/ HTTP\/1\.1" 200/);

    expect((await jailwrightApache('stop', '--root', root)).code).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  }, 120_000);
});
