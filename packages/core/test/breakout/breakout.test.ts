import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditProcess, type RunningAuditReport } from '../../src/audit/running-audit.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { alive, type BreakoutJail, naive, OUTSIDE_SOURCE, PROBE_SOURCE, probeRecipe, startProbe, startProcess, transcript, underJailwright, verdictIn, waitFor, writeSecret } from './harness.js';

explainSkipUnlessRoot('the breakout suite (chroot as root, mknod, mounts, namespaces)');

/**
 * Each technique runs twice in one test: against a naive jail (plain chroot as root, or chroot --userspec,
 * over the very tree jailwright built) where it must escape, and as the service of that jail launched by
 * `jailwright start`, where it must fail. "Escape" means the probe printed the content of a secret file
 * that exists only on the host, outside the jail, or made something outside create a marker file.
 * docs/breakout.md holds the table of what stops each one.
 */
const ACCOUNT = `jwb${process.pid}`;
const LEAKED_FD = 200;

describe.skipIf(!isRoot)('breakout: escapes that work from a naive chroot fail under jailwright start', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let jail: BreakoutJail;
  let jailRoot: string;
  let uid: number;
  let gid: number;
  let secret: string;
  let token: string;
  let outside: string;
  const started: number[] = [];
  const userspec = () => ['chroot', `--userspec=${uid}:${gid}`, jailRoot, '/usr/bin/probe'];
  const asRoot = () => ['chroot', jailRoot, '/usr/bin/probe'];
  /** Runs the probe as a same-uid process on the host, outside the jail: a victim to reach. */
  const victim = () => startProcess('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', 'sleep', '60'], started);

  /** `start` itself refuses a service account that a process outside already runs as. */
  const expectStartRefused = async (args: string[], outsiderPid: number) => {
    const start = await startProbe(jail, await probeRecipe(jail, args));
    expect(start.code).toBe(3);
    expect(start.stderr).toContain(`is already used by 1 running process outside this jail: ${outsiderPid} (sleep)`);
  };
  const expectEscaped = (verdict: { escaped: boolean; line: string }) => {
    expect(verdict.line).toContain('RESULT ESCAPED');
    expect(verdict.line).toContain(token);
  };
  const expectBlocked = (verdict: { escaped: boolean; line: string }) => {
    expect(verdict.line).toMatch(/^RESULT BLOCKED /);
    expect(verdict.line).not.toContain(token);
  };

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    const bin = path.join(parent, 'bin');
    // The setuid-root copy must never be usable on the host: it lives in a directory only root can enter.
    await mkdir(bin, { mode: 0o700 });
    await mkdir(path.join(parent, 'recipes'));
    for (const [source, name] of [[PROBE_SOURCE, 'probe'], [OUTSIDE_SOURCE, 'outside']] as const) {
      const compiled = await run('gcc', ['-O2', '-Wall', '-o', path.join(bin, name), fileURLToPath(source)]);
      expect(compiled.stderr).toBe('');
    }
    outside = path.join(bin, 'outside');
    await copyFile(path.join(bin, 'probe'), path.join(bin, 'probe-suid'));
    await chmod(path.join(bin, 'probe-suid'), 0o4755);
    token = `jailwright-secret-${randomBytes(8).toString('hex')}`;
    secret = path.join(parent, 'outside-secret');
    await writeSecret(secret, token);

    const jailSection = `jail:
  files:
    - { path: ${path.join(bin, 'probe')}, to: /usr/bin/probe }
    - { path: ${path.join(bin, 'probe-suid')}, to: /usr/bin/probe-suid, keepSetuid: true, reason: "breakout test: a setuid-root binary planted in the jail" }
    - { path: ${path.join(bin, 'probe-suid')}, to: /usr/bin/probe-suid-stripped }
  users: [{ name: ${ACCOUNT}, create: true }]
  directories: [{ path: /work, owner: ${ACCOUNT}, mode: "0755" }]
  devices: ["null"]
audit:
  allow:
    - { check: setuid-file, path: /usr/bin/probe-suid, reason: "breakout test: no_new_privs and nosuid must make it harmless" }`;
    jail = { parent, root: path.join(parent, 'jail'), account: ACCOUNT, jailSection };
    const recipe = await writeRecipe(path.join(parent, 'recipes'), 'build', `specVersion: 1\nname: breakout\n${jailSection}\n`);
    const built = await jailwright('build', recipe, '--root', jail.root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    jailRoot = realpathSync(jail.root);
    const account = (await run('getent', ['passwd', ACCOUNT])).stdout.split(':');
    [uid, gid] = [Number(account[2]), Number(account[3])];
    // proc: fresh needs a /proc directory, which jail.directories refuses (/proc is a kernel filesystem path):
    // the test makes the empty mount point by hand. The naive /proc/<pid>/root case mounts the host's procfs there.
    await mkdir(path.join(jailRoot, 'proc'), { mode: 0o555 });
    await mkdir(path.join(parent, 'drop'), { mode: 0o700 });
    await chown(path.join(parent, 'drop'), uid, gid);
  }, 120_000);

  afterEach(async () => {
    for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    // Whatever a naive root probe mounted inside the jail (in the host's mount namespace) goes.
    const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => parent && point.startsWith(`${parent}/`))
      .reverse();
    for (const point of mounted) await run('umount', ['-l', point]);
  });

  afterAll(async () => {
    if (process.env.JAILWRIGHT_BREAKOUT_TRANSCRIPT) console.log(transcript.join('\n'));
    if (jail) await jailwright('stop', path.join(parent, 'recipes/build.yaml'), '--root', jail.root);
    await run('userdel', [ACCOUNT]);
    await run('groupdel', [ACCOUNT]);
    await cleanup?.();
  });

  it('double chroot (chroot into a subdirectory, climb with "..", chroot .): root escapes; the jailwright service cannot chroot at all', async () => {
    expectEscaped(await naive(asRoot()[0] as string, [...asRoot().slice(1), 'double-chroot', secret], started));
    const verdict = await underJailwright(jail, ['double-chroot', secret]);
    expectBlocked(verdict);
    expect(verdict.line).toContain('chroot usr: Operation not permitted');
  });

  it('chroot with a saved directory fd (open ., chroot usr, fchdir, climb): root escapes; jailwright: no chroot', async () => {
    expectEscaped(await naive(asRoot()[0] as string, [...asRoot().slice(1), 'fchdir-chroot', secret], started));
    const verdict = await underJailwright(jail, ['fchdir-chroot', secret]);
    expectBlocked(verdict);
    expect(verdict.line).toContain('chroot usr: Operation not permitted');
  });

  it(`a directory fd leaked by the launcher (fd ${LEAKED_FD} on the host /): even a non-root service escapes; jailwright's supervisor closes it`, async () => {
    const naiveVerdict = await naive('bash', ['-c', `exec ${LEAKED_FD}</; exec "$@"`, 'bash', ...userspec(), 'leaked-fd', String(LEAKED_FD), secret], started);
    expectEscaped(naiveVerdict);
    const verdict = await underJailwright(jail, ['leaked-fd', String(LEAKED_FD), secret], { leakFd: LEAKED_FD });
    expectBlocked(verdict);
    expect(verdict.line).toContain(`fd ${LEAKED_FD}: Bad file descriptor`);
  });

  it('a cwd left outside (chroot(2) without chdir): a non-root service climbs out; chroot(1) in jailwright chdirs into the jail', async () => {
    expectEscaped(await naive(outside, ['chroot-no-chdir', jailRoot, String(uid), String(gid), '/usr/bin/probe', 'cwd-outside', secret], started));
    const verdict = await underJailwright(jail, ['cwd-outside', secret]);
    expectBlocked(verdict);
    expect(verdict.line).toContain('cwd /');
  });

  it('/proc/<pid>/root of a same-uid process outside: escapes once /proc is in the jail; jailwright has no /proc, and a fresh one shows only its own pids', async () => {
    const outsider = victim();
    await waitFor('the victim', () => (readFileSync(`/proc/${outsider.pid}/status`, 'utf8').includes(`Uid:\t${uid}`) ? true : undefined));
    await run('mount', ['-t', 'proc', 'proc', path.join(jailRoot, 'proc')]);
    try {
      expectEscaped(await naive(userspec()[0] as string, [...userspec().slice(1), 'proc-root', String(outsider.pid), secret], started));
    } finally {
      await run('umount', ['-l', path.join(jailRoot, 'proc')]);
    }
    await expectStartRefused(['proc-root', String(outsider.pid), secret], outsider.pid);
    // Told the uid is shared on purpose, start launches it, and the probe still finds no way.
    const none = await underJailwright(jail, ['proc-root', String(outsider.pid), secret], { sharedUser: true });
    expectBlocked(none);
    expect(none.line).toContain('no /proc/<pid>/root of 0 pids reaches it');
    const fresh = await underJailwright(jail, ['proc-root', String(outsider.pid), secret], { proc: 'fresh', sharedUser: true });
    expectBlocked(fresh);
    // It sees its own pid namespace only (itself, pid 1), never the outsider.
    expect(fresh.line).toMatch(/No such file or directory; no \/proc\/<pid>\/root of [1-9]\d* pids reaches it/);
  });

  it('ptrace / process_vm_writev of a same-uid process outside: the naive service makes it create a file; jailwright: the new pid namespace cannot name it', async () => {
    const outsider = victim();
    await waitFor('the victim', () => (readFileSync(`/proc/${outsider.pid}/status`, 'utf8').includes(`Uid:\t${uid}`) && readFileSync(`/proc/${outsider.pid}/comm`, 'utf8').trim() === 'sleep' ? true : undefined));
    const naiveMarker = path.join(parent, 'drop/ptrace-naive');
    const naiveVerdict = await naive(userspec()[0] as string, [...userspec().slice(1), 'ptrace', String(outsider.pid), naiveMarker], started);
    expect(naiveVerdict.line).toContain('RESULT ESCAPED');
    expect(existsSync(naiveMarker)).toBe(true);
    const marker = path.join(parent, 'drop/ptrace-jailwright');
    await expectStartRefused(['ptrace', String(outsider.pid), marker], outsider.pid);
    const verdict = await underJailwright(jail, ['ptrace', String(outsider.pid), marker], { sharedUser: true });
    expect(verdict.line).toMatch(/^RESULT BLOCKED .*ptrace attach \d+: No such process.*process_vm_writev \d+: No such process/);
    expect(existsSync(marker)).toBe(false);
  });

  // The sandbox CI runs in denies raw access to its real disk (/dev/vda: EPERM even for root on the host), so a
  // loop device backed by a host file outside the jail stands in for "a host disk": same major/minor game.
  it('mknod of a host block device and of /dev/mem: root reads the secret off the raw device; jailwright: no CAP_MKNOD, and the jail is mounted nodev', async () => {
    const image = path.join(parent, 'disk.img');
    await writeFile(image, Buffer.concat([Buffer.from(token), Buffer.alloc(1 << 20)]));
    const attached = await run('losetup', ['--find', '--show', image]);
    const loop = attached.stdout.trim();
    expect(loop, attached.stderr).toMatch(/^\/dev\/loop\d+$/);
    try {
      const device = statSync(loop).rdev;
      const [major, minor] = [(device >> 8) & 0xfff, (device & 0xff) | ((device >> 12) & 0xfff00)];
      const args = ['mknod', String(major), String(minor), '0', String(token.length)];
      expectEscaped(await naive(asRoot()[0] as string, [...asRoot().slice(1), ...args], started));
      const verdict = await underJailwright(jail, args);
      expectBlocked(verdict);
      expect(verdict.line).toContain('mknod /dev/mem (1,1): Operation not permitted');
      expect(verdict.line).toContain(`mknod block ${major}:${minor}: Operation not permitted`);
    } finally {
      await run('losetup', ['-d', loop]);
    }
  });

  it('mount (tmpfs, bind, proc): root mounts proc and reads /proc/1/root; jailwright: no CAP_SYS_ADMIN', async () => {
    const naiveVerdict = await naive(asRoot()[0] as string, [...asRoot().slice(1), 'mount', secret], started);
    expectEscaped(naiveVerdict);
    expect(naiveVerdict.line).toContain('mounted tmpfs');
    const verdict = await underJailwright(jail, ['mount', secret]);
    expectBlocked(verdict);
    for (const kind of ['tmpfs', '--bind', 'proc']) expect(verdict.line).toContain(`mount ${kind}: Operation not permitted`);
  });

  it('open_by_handle_at on the root filesystem (shocker): root opens a host file by its handle; jailwright: no CAP_DAC_READ_SEARCH', async () => {
    const handle = await run(outside, ['handle', secret]);
    const [type, hex] = handle.stdout.trim().split(' ');
    expect(hex, handle.stderr).toMatch(/^[0-9a-f]+$/);
    const args = ['open-by-handle', type as string, hex as string, secret];
    expectEscaped(await naive(asRoot()[0] as string, [...asRoot().slice(1), ...args], started));
    const verdict = await underJailwright(jail, args);
    expectBlocked(verdict);
    expect(verdict.line).toContain('open_by_handle_at: Operation not permitted');
  });

  describe('a directory fd received over an abstract unix socket from a helper outside (SCM_RIGHTS)', () => {
    const serve = async () => {
      const name = `jailwright-breakout-${process.pid}-${randomBytes(4).toString('hex')}`;
      const helper = startProcess(outside, ['serve-fd', name, '/'], started);
      await waitFor('the fd server', () => (helper.output().includes('READY') ? true : undefined));
      return name;
    };

    it('escapes a naive jail; jailwright with namespaces.net cannot reach the socket', async () => {
      const name = await serve();
      expectEscaped(await naive(userspec()[0] as string, [...userspec().slice(1), 'scm-rights', name, secret], started));
      const verdict = await underJailwright(jail, ['scm-rights', name, secret], { net: true });
      expectBlocked(verdict);
      expect(verdict.line).toContain('Connection refused');
    });

    // Without namespaces.net the service shares the host's network namespace, and abstract unix sockets have no
    // path for chroot to hide: the launcher's Landlock scope (ABI 6, Linux 6.12) denies connecting to any abstract
    // socket made outside the service's domain. This kernel must offer it; start records it in the launch state.
    it('the default launch (host network namespace) blocks it: Landlock scopes abstract unix sockets', async () => {
      const name = await serve();
      const verdict = await underJailwright(jail, ['scm-rights', name, secret]);
      expectBlocked(verdict);
      expect(verdict.line).toContain('Operation not permitted');
      const state = JSON.parse(readFileSync(path.join(parent, '.jail.jailwright/launch/state.json'), 'utf8')) as { landlock?: { inForce: boolean; scopes: string[] } };
      expect(state.landlock).toMatchObject({ inForce: true, scopes: ['abstract-unix-socket', 'signal'] });
    });
  });

  it('a setuid-root binary planted in the jail: the naive service becomes root and double-chroots out; each of no_new_privs, the nosuid fence and build stripping the bit stops it alone', async () => {
    const exploit = ['exec', '/usr/bin/probe-suid', 'double-chroot', secret];
    const naiveVerdict = await naive(userspec()[0] as string, [...userspec().slice(1), ...exploit], started);
    expectEscaped(naiveVerdict);
    expect(naiveVerdict.line).toContain('became euid 0');
    // The same weak launch with only no_new_privs added: the setuid bit no longer raises the euid.
    const withNoNewPrivs = await naive('setpriv', ['--no-new-privs', '--', ...userspec(), ...exploit], started);
    expectBlocked(withNoNewPrivs);
    expect(withNoNewPrivs.line).not.toContain('became euid 0');
    expect(statSync(path.join(jailRoot, 'usr/bin/probe-suid')).mode & 0o4000).toBe(0o4000);

    // build strips the bit of a setuid file the recipe does not keep: the weak launch, without no_new_privs, stays non-root.
    expect(statSync(path.join(jailRoot, 'usr/bin/probe-suid-stripped')).mode & 0o6000).toBe(0);
    const stripped = await naive(userspec()[0] as string, [...userspec().slice(1), 'exec', '/usr/bin/probe-suid-stripped', 'double-chroot', secret], started);
    expectBlocked(stripped);
    expect(stripped.line).not.toContain('became euid 0');

    // jailwright's mount fence alone: the weak launch (no no_new_privs) run inside a jailwright service's mount
    // namespace, where the jail is the nosuid bind mount start made, gets no euid 0 from the kept setuid bit.
    const holder = await probeRecipe(jail, ['idle']);
    const start = await startProbe(jail, holder);
    expect(start.code, start.stderr).toBe(0);
    try {
      const state = JSON.parse(readFileSync(path.join(parent, '.jail.jailwright/launch/state.json'), 'utf8')) as { service: { pid: number } };
      const fenced = await naive('nsenter', [`--target=${state.service.pid}`, '--mount', '--', ...userspec(), ...exploit], started);
      expectBlocked(fenced);
      expect(fenced.line).not.toContain('became euid 0');
      expect(fenced.line).toContain('chroot usr: Operation not permitted');
    } finally {
      await jailwright('stop', holder, '--root', jail.root);
    }

    const verdict = await underJailwright(jail, exploit);
    expectBlocked(verdict);
    expect(verdict.line).not.toContain('became euid 0');
    expect(verdict.line).toContain('chroot usr: Operation not permitted');
  });

  it('creating a user namespace to regain capabilities: the kernel refuses it to any chrooted process, naive or not', async () => {
    const rootVerdict = await naive(asRoot()[0] as string, [...asRoot().slice(1), 'user-namespace', secret], started);
    expectBlocked(rootVerdict);
    expect(rootVerdict.line).toContain('unshare(CLONE_NEWUSER): Operation not permitted');
    expectBlocked(await naive(userspec()[0] as string, [...userspec().slice(1), 'user-namespace', secret], started));
    const verdict = await underJailwright(jail, ['user-namespace', secret]);
    expectBlocked(verdict);
    expect(verdict.line).toContain('unshare(CLONE_NEWUSER): Operation not permitted');
  });

  it('the rename trick (the directory the service stands in is moved out of the jail by someone outside): a naive service climbs out; the bind-mounted jail makes ".." fail', async () => {
    const inside = path.join(jailRoot, 'work/a');
    const moved = path.join(parent, 'moved-a');
    const renamer = async () => {
      await rename(inside, moved);
    };
    try {
      await mkdir(inside);
      const probe = startProcess(userspec()[0] as string, [...userspec().slice(1), 'rename', '/work/a', secret], started);
      await waitFor('the naive probe to stand in /work/a', () => (probe.output().includes('READY') ? true : undefined));
      await renamer();
      await probe.exited;
      const naiveVerdict = verdictIn(probe.output());
      transcript.push(`naive      rename /work/a\n  ${naiveVerdict?.line ?? probe.output()}`);
      expectEscaped(naiveVerdict ?? { escaped: false, line: probe.output() });

      await rm(moved, { recursive: true, force: true });
      await mkdir(inside);
      const verdict = await underJailwright(jail, ['rename', '/work/a', secret], {}, renamer);
      expectBlocked(verdict);
      expect(verdict.line).toContain('chdir ..: No such file or directory');
    } finally {
      await rm(inside, { recursive: true, force: true });
      await rm(moved, { recursive: true, force: true });
    }
  });

  it('audit --running: the live service and its child pass every /proc check; a naive chroot --userspec launch of the same probe fails them', async () => {
    const recipe = await probeRecipe(jail, ['idle']);
    expect((await jailwright('audit', '--running', recipe, '--root', jail.root)).code).toBe(3);
    const start = await startProbe(jail, recipe, { leakFd: LEAKED_FD });
    expect(start.code, start.stderr).toBe(0);
    try {
      const audit = await jailwright('audit', '--running', recipe, '--root', jail.root, '--json');
      expect(audit.stderr).toBe('');
      const report = JSON.parse(audit.stdout) as RunningAuditReport;
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      expect(audit.code).toBe(0);
      expect(report).toMatchObject({ running: true, jailRoot, failed: 0 });
      expect(report.pids).toHaveLength(2);
      const checked = new Set(report.checks.map((check) => check.check));
      for (const check of ['non-root', 'identity', 'no-new-privs', 'capabilities', 'bounding-set', 'groups', 'namespaces', 'descriptors', 'root', 'cwd', 'landlock-scope']) expect(checked).toContain(check);
      expect(report.checks.find((check) => check.check === 'landlock-scope')?.detail).toMatch(/^Landlock scopes abstract-unix-socket, signal in force/);
      expect(report).toMatchObject({ failOn: 'high', failing: 0 });
      expect((await jailwright('audit', '--running', recipe, '--root', jail.root)).stdout).toMatch(/2 processes in .*\n(  ok {3}pid \d+ [a-z-]+: .*\n)+every check passed/);

      // --fail-on: a medium failure (no Landlock record, as from a service started by an older jailwright) fails
      // only --fail-on medium; a high one (the recipe now names a group the service lacks) fails high, not critical.
      const stateFile = path.join(parent, '.jail.jailwright/launch/state.json');
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
      await writeFile(stateFile, JSON.stringify({ ...state, landlock: undefined }));
      try {
        const passing = await jailwright('audit', '--running', recipe, '--root', jail.root);
        expect(passing.code).toBe(0);
        expect(passing.stdout).toMatch(/FAIL pid \d+ landlock-scope \(medium\): no Landlock record/);
        expect(passing.stdout).toContain('1 check failed, 0 at or above --fail-on high: the audit passes');
        const medium = await jailwright('audit', '--running', recipe, '--root', jail.root, '--fail-on', 'medium', '--json');
        expect(medium.code).toBe(1);
        expect(JSON.parse(medium.stdout)).toMatchObject({ failed: 1, failOn: 'medium', failing: 1 });
      } finally {
        await writeFile(stateFile, JSON.stringify(state));
      }
      const regrouped = await writeRecipe(path.join(parent, 'recipes'), 'regrouped', readFileSync(recipe, 'utf8').replace('launch:\n', 'launch:\n  groups: [users]\n'));
      const high = await jailwright('audit', '--running', regrouped, '--root', jail.root);
      expect(high.code).toBe(1);
      expect(high.stdout).toMatch(/FAIL pid \d+ groups \(high\): supplementary groups \[\], the recipe names \[100\]/);
      expect((await jailwright('audit', '--running', regrouped, '--root', jail.root, '--fail-on', 'critical')).code).toBe(0);
      expect((await jailwright('audit', '--running', regrouped, '--root', jail.root, '--fail-on', 'low')).code).toBe(2);
    } finally {
      await jailwright('stop', recipe, '--root', jail.root);
    }

    const weak = startProcess('bash', ['-c', `exec ${LEAKED_FD}</; exec "$@"`, 'bash', ...userspec(), 'idle'], started);
    await waitFor('the naive service', () => (readFileSync(`/proc/${weak.pid}/status`, 'utf8').includes(`Uid:\t${uid}`) && weak.output().includes('RESULT') ? true : undefined));
    const children = readFileSync(`/proc/${weak.pid}/task/${weak.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    started.push(...children);
    let failed: string[];
    try {
      failed = auditProcess(weak.pid, { jailRoot, uid, gid, groups: [], capabilities: [], bounding: ['sys_chroot', 'setuid', 'setgid'], net: false })
        .filter((check) => !check.ok)
        .map((check) => check.check);
    } finally {
      for (const pid of [...children, weak.pid]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    expect(failed).toEqual(expect.arrayContaining(['no-new-privs', 'bounding-set', 'namespaces', 'descriptors']));
    expect(failed).not.toContain('root');
  });
});
