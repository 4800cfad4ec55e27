import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hostAccountEntry, makeJailParent, rememberAccount, runCommand } from '@jailwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianSourceTarballs } from '../../../scripts/debian-source.mjs';
import { serviceUser } from '../src/index.js';

/**
 * BIND 9 built from Debian bookworm's bind9 source package (its upstream tarball) with the recipe's default
 * profile, jailed by the recipe, asked a question, stopped. Slow (a real compile): run by
 * `npm run test:from-source`, which the root `npm test` runs after the other tests.
 */
const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('skipping BIND from source: it needs root (apt-get source, an install prefix, a jail); CI runs it as root');

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(!isRoot)("BIND 9 from Debian's source package: compiled, jailed, answering", () => {
  let parent: string;
  let stateDir: string;
  let prefix: string;
  let root: string;
  let removeParent: () => Promise<void>;
  let account: { restore: () => Promise<void> };
  // A private state directory: the compile record affects this test's builds only, not the machine's bind jail.
  const jailwrightBind = (...args: string[]) => runCommand(process.execPath, [BIN, ...args], { env: { ...process.env, JAILWRIGHT_STATE_DIR: stateDir }, timeout: 40 * 60_000 });

  beforeAll(async () => {
    account = rememberAccount(serviceUser);
    ({ parent, cleanup: removeParent } = await makeJailParent('jailwright-bind-from-source-'));
    stateDir = path.join(parent, 'state');
    prefix = path.join(parent, 'named');
    root = path.join(parent, 'bind');
  });
  afterAll(async () => {
    await jailwrightBind('stop', '--root', root);
    await removeParent();
    await account.restore();
  });

  it('compiles the bind9 source package with the default profile, checking its sha256', async () => {
    const { bind9: tarball } = debianSourceTarballs(['bind9']);
    const started = performance.now();
    const compiled = await jailwrightBind('compile', '--source', tarball, '--prefix', prefix, '--jobs', '2', '--log', path.join(parent, 'compile.log'), '--json');
    const seconds = Math.round((performance.now() - started) / 1000);
    expect(compiled.stderr).toBe('');
    expect(compiled.code, readFileSync(path.join(parent, 'compile.log'), 'utf8').slice(-3000)).toBe(0);
    const outcome = JSON.parse(compiled.stdout) as { source: { verified: boolean; version?: string }; phases: { name: string; seconds: number; cpuSeconds: number }[] };
    console.log(`BIND 9 from ${path.basename(tarball)}: compiled in ${seconds}s, ${Math.round(outcome.phases.reduce((sum, phase) => sum + phase.cpuSeconds, 0))} CPU seconds (${outcome.phases.map((phase) => `${phase.name} ${phase.seconds}s/${phase.cpuSeconds} cpu`).join(', ')})`);
    // The recipe knows bookworm's 9.18.49; a later point release of the archive is built unverified, and says so.
    expect(outcome.source.verified).toBe(path.basename(tarball) === 'bind9_9.18.49.orig.tar.xz');
    const version = await execFileAsync(path.join(prefix, 'sbin/named'), ['-v']);
    expect(version.stdout).toMatch(/^BIND 9\.\d+\.\d+/);
  }, 40 * 60_000);

  it('jails the compiled named (running from the prefix, chrooted by itself), answers authoritatively, stops clean', async () => {
    const built = await jailwrightBind('build', '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain(`built from source by \`jailwright compile\` (profile default, ${prefix})`);
    expect(sha256(path.join(root, 'usr/sbin/named'))).toBe(sha256(path.join(prefix, 'sbin/named')));
    // named's own libraries come from the prefix (its RUNPATH), into the jail at the same place.
    expect(existsSync(path.join(root, prefix.slice(1), 'lib'))).toBe(true);

    const started = await jailwrightBind('start', '--root', root);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const check = await jailwrightBind('check', '--root', root, '--json');
    expect(check.code, check.stdout).toBe(0);
    // The recipe's dns probe asks for www.example.test and wants 192.0.2.1 with the AA bit set.
    const probes = JSON.parse(check.stdout) as { results: { probe: string; ok: boolean }[] };
    expect(probes.results.filter((result) => result.probe.startsWith('dns ')).map((result) => result.ok)).toEqual([true]);
    expect(probes.results.every((result) => result.ok)).toBe(true);

    const state = JSON.parse(readFileSync(path.join(parent, '.bind.jailwright/launch/state.json'), 'utf8')) as { service?: { pid: number } };
    const pid = state.service!.pid;
    const executable = statSync(`/proc/${pid}/exe`);
    const compiledNamed = statSync(path.join(prefix, 'sbin/named'));
    expect([executable.dev, executable.ino]).toEqual([compiledNamed.dev, compiledNamed.ino]);
    const uid = hostAccountEntry('/etc/passwd', serviceUser)![2]!;
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
    expect(readlinkSync(`/proc/${pid}/root`)).toBe(realpathSync(root));

    expect((await jailwrightBind('stop', '--root', root)).code).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  }, 120_000);
});
