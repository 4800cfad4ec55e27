import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandRunner, freeTcpPort, hostAccountEntry, makeJailParent, processTree, rememberAccount } from '@jailwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ACCOUNT = 'jw-apache';
const isRoot = process.getuid?.() === 0;
const haveApache = existsSync('/usr/sbin/apache2');
if (!isRoot) console.warn('skipping the ChrootDir and port tests: they need root (chroot, namespaces, a host account); CI runs them as root');
else if (!haveApache) console.warn('skipping the ChrootDir and port tests: apache2 is not installed (apt-get install -y apache2; .ci/run does)');

/** Runs the package's own command, as a user who installed only @jailwright/apache would. */
const jailwrightApache = commandRunner(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

describe.skipIf(!isRoot || !haveApache)("ChrootDir: apache2 chroots its own workers into the jail, on a port the test picks", () => {
  let root: string;
  let port: number;
  let cleanup: () => Promise<void>;
  // Only what this test created is removed afterwards: an operator's own jw-apache is left alone.
  let account: ReturnType<typeof rememberAccount>;
  beforeAll(async () => {
    account = rememberAccount(ACCOUNT);
    const scratch = await makeJailParent('jailwright-apache-chrootdir-test-');
    cleanup = scratch.cleanup;
    root = path.join(scratch.parent, 'apache');
    port = await freeTcpPort();
  });
  afterAll(async () => {
    await jailwrightApache('stop', '--root', root);
    await cleanup();
    await account.restore();
  });

  it('plans a jail of the document root, the logs and libgcc_s only: no apache2, no modules, no mime.types', async () => {
    const plan = await jailwrightApache('build', '--root', root, '--variant', 'chrootdir', '--option', `port=${port}`, '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/write .* \/var\/www\/html\/index\.html/);
    expect(plan.stdout).toMatch(/libgcc_s\.so\.1/);
    expect(plan.stdout).not.toMatch(/\/usr\/sbin\/apache2|mod_mpm_event|mime\.types/);
    const unknown = await jailwrightApache('build', '--root', root, '--variant', 'chrootdri', '--dry-run');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown variant "chrootdri" (did you mean "chrootdir"?)');
  });

  it('serves HEAD / with 200 from workers rooted in the jail as jw-apache, logs the request there, and stops clean', async () => {
    const built = await jailwrightApache('build', '--root', root, '--variant', 'chrootdir', '--option', `port=${port}`);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain('audit: nothing above low');
    const uid = hostAccountEntry('/etc/passwd', ACCOUNT)?.[2];
    expect(uid, `build creates the host account ${ACCOUNT}`).toBeDefined();

    // start follows the variant and port the jail was built with: no --variant here.
    const started = await jailwrightApache('start', '--root', root);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);

    const head = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    // The jail's page, not the host's /var/www/html: the workers resolve the document root inside the jail.
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('<h1>Hello from a jailed Apache</h1>\n');

    const check = await jailwrightApache('check', '--root', root);
    expect(check.stdout).toContain('all probes passed');
    expect(check.code).toBe(0);

    const state = JSON.parse(readFileSync(path.join(path.dirname(root), '.apache.jailwright/launch/state.json'), 'utf8')) as { service?: { pid: number } };
    const main = state.service?.pid as number;
    const jail = realpathSync(root);
    // By design the parent stays root on the host (it reads config and modules there and opens the logs)...
    expect(readFileSync(`/proc/${main}/status`, 'utf8')).toMatch(/^Uid:\s+0\s+0\s+0\s+0$/m);
    // ...with its bounding set cut to what it needs: kill (5), setgid (6), setuid (7), sys_chroot (18).
    expect(readFileSync(`/proc/${main}/status`, 'utf8')).toMatch(/^CapBnd:\s+00000000000400e0$/m);
    // ...and every process that serves is jw-apache with its root in the jail.
    const workers = (await processTree(main)).slice(1);
    expect(workers.length).toBeGreaterThan(0);
    for (const worker of workers) {
      expect(readFileSync(`/proc/${worker}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
      expect(readlinkSync(`/proc/${worker}/root`)).toBe(jail);
    }
    expect(readFileSync(path.join(root, 'var/log/apache2/access.log'), 'utf8')).toMatch(/"HEAD \/ HTTP\/1\.1" 200 -/);
    expect(readFileSync(path.join(root, 'var/log/apache2/error.log'), 'utf8')).not.toMatch(/\[(warn|error|crit|alert|emerg)\]|libgcc_s/);
    expect((await jailwrightApache('audit', '--root', root)).code).toBe(0);

    expect((await jailwrightApache('stop', '--root', root)).code).toBe(0);
    for (const pid of [main, ...workers]) expect(existsSync(`/proc/${pid}`), `pid ${pid} is gone`).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
