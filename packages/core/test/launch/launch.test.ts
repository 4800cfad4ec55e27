import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchState } from '../../src/index.js';
import { CLI, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { alive, fenceFailures, pidsOf, TEST_SERVICE_SOURCE, waitFor } from './fixtures.js';

explainSkipUnlessRoot('the launch tests (namespaces, chroot, real processes)');

const ACCOUNT = `jwl${process.pid}`;
const NAMED_GROUP = `jwlg${process.pid}`;
const OTHER_GROUP = `jwlx${process.pid}`;
/** A descriptor the caller of `start` holds open without close-on-exec: a directory outside the jail, the classic way out. */
const LEAKED_FD = 200;

describe.skipIf(!isRoot)('jailwright start: a service in its jail, fenced, supervised', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let program: string;
  let recipe: string;
  let root: string;
  let jailRoot: string;
  let uid: number;
  let gid: number;
  let namedGid: number;
  const started: number[] = [];

  const stateFile = () => path.join(parent, '.svc.jailwright/launch/state.json');
  const readState = () => JSON.parse(readFileSync(stateFile(), 'utf8')) as LaunchState;
  const startHoldingFd = (...extra: string[]) =>
    run('bash', ['-c', `exec ${LEAKED_FD}</; exec "$@"`, 'bash', process.execPath, CLI, 'start', recipe, '--root', root, ...extra]);

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    program = path.join(parent, 'test-service');
    await writeFile(`${program}.c`, TEST_SERVICE_SOURCE);
    const compiled = await run('gcc', ['-O2', '-o', program, `${program}.c`]);
    expect(compiled.stderr).toBe('');
    for (const group of [NAMED_GROUP, OTHER_GROUP]) expect((await run('groupadd', ['--system', group])).code).toBe(0);
    recipe = await writeRecipe(
      parent,
      'svc',
      `specVersion: 1
name: svc
jail:
  files: [{ path: ${program}, to: /usr/bin/test-service }]
  users: [{ name: ${ACCOUNT}, create: true }]
  devices: ["null"]
launch:
  mode: engine-chroot
  command: [/usr/bin/test-service]
  user: ${ACCOUNT}
  groups: [${NAMED_GROUP}]
  stop: { timeoutSeconds: 3 }
`,
    );
    root = path.join(parent, 'svc');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    // The account is also in a group the recipe does not name: it must not come along.
    expect((await run('usermod', ['-aG', OTHER_GROUP, ACCOUNT])).code).toBe(0);
    jailRoot = realpathSync(root);
    const account = (await run('getent', ['passwd', ACCOUNT])).stdout.split(':');
    [uid, gid] = [Number(account[2]), Number(account[3])];
    namedGid = Number((await run('getent', ['group', NAMED_GROUP])).stdout.split(':')[2]);
  });

  afterEach(async () => {
    // Whatever a failed test left running: stop it through the CLI, then by PID.
    await jailwright('stop', recipe, '--root', root);
    for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  afterAll(async () => {
    await run('userdel', [ACCOUNT]);
    for (const group of [ACCOUNT, NAMED_GROUP, OTHER_GROUP]) await run('groupdel', [group]);
    await cleanup?.();
  });

  it('passes every /proc check, where a naive chroot --userspec launch of the same program fails', async () => {
    const start = await startHoldingFd();
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const state = readState();
    started.push(...pidsOf(state));
    const pid = state.service?.pid as number;
    expect(readFileSync(path.join(parent, '.svc.jailwright/launch/service.pid'), 'utf8').trim()).toBe(String(pid));
    expect(fenceFailures(pid, { uid, gid, groups: [namedGid], root: jailRoot })).toEqual({});
    // The jail's /dev keeps its device nodes usable, but nothing there can be executed.
    const devMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').find((line) => line.split(' ')[4] === '/dev');
    expect(devMount?.split(' ')[5]?.split(',')).toEqual(expect.arrayContaining(['nosuid', 'noexec']));
    expect(devMount?.split(' ')[5]?.split(',')).not.toContain('nodev');
    expect(readFileSync(path.join(parent, '.svc.jailwright/launch/service.log'), 'utf8')).toContain('test service 1 up');

    const naive = spawn('bash', ['-c', `exec ${LEAKED_FD}</; exec chroot --userspec=${uid}:${gid} "$1" /usr/bin/test-service`, 'bash', jailRoot], {
      stdio: 'ignore',
    });
    const naivePid = naive.pid as number;
    started.push(naivePid);
    await waitFor('the naive launch', () => (statSync(`/proc/${naivePid}/exe`, { throwIfNoEntry: false })?.ino === statSync(path.join(jailRoot, 'usr/bin/test-service')).ino ? true : undefined));
    const naiveFailures = fenceFailures(naivePid, { uid, gid, groups: [namedGid], root: jailRoot });
    expect(Object.keys(naiveFailures)).toEqual(expect.arrayContaining(['groups', 'fds', 'mntNamespace', 'pidNamespace', 'ipcNamespace', 'utsNamespace', 'noNewPrivs', 'session', 'mount']));
    expect(naiveFailures.fds).toContain(`${LEAKED_FD}->/`);
    process.kill(naivePid, 'SIGKILL');
  });

  it('stop leaves no process behind and removes the pidfile', async () => {
    expect((await startHoldingFd()).code).toBe(0);
    const pids = pidsOf(readState());
    started.push(...pids);
    expect(pids).toHaveLength(3);
    expect(pids.every(alive)).toBe(true);
    const stop = await jailwright('stop', recipe, '--root', root);
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('stopped svc');
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(path.join(parent, '.svc.jailwright/launch/service.pid'))).toBe(false);
    const status = await jailwright('status', recipe, '--root', root, '--json');
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'stopped' });
    expect((await jailwright('stop', recipe, '--root', root)).stdout).toContain('was not running');
  });

  it('with --restart on-failure, brings a kill -9 service back within 1 s and counts the restart', async () => {
    expect((await startHoldingFd('--restart', 'on-failure')).code).toBe(0);
    const before = readState();
    started.push(...pidsOf(before));
    const first = before.service?.pid as number;
    process.kill(first, 'SIGKILL');
    const killedAt = Date.now();
    const after = await waitFor('the restarted service', () => {
      const state = readState();
      return state.status === 'running' && state.service && state.service.pid !== first ? state : undefined;
    });
    const elapsed = Date.now() - killedAt;
    started.push(...pidsOf(after));
    expect(elapsed).toBeLessThan(1000);
    expect(alive(first)).toBe(false);
    expect(fenceFailures(after.service?.pid as number, { uid, gid, groups: [namedGid], root: jailRoot })).toEqual({});
    const status = await jailwright('status', recipe, '--root', root, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'running', restarts: 1, servicePid: after.service?.pid, lastExit: { signal: 'SIGKILL' } });
    expect((await jailwright('status', recipe, '--root', root)).stdout).toMatch(/running\n {2}service pid \d+, up \d+ s\n {2}supervisor pid \d+\n {2}restarts: 1/);
  });

  it('without a restart policy, reports a killed service as crashed', async () => {
    expect((await startHoldingFd()).code).toBe(0);
    const state = readState();
    started.push(...pidsOf(state));
    process.kill(state.service?.pid as number, 'SIGKILL');
    await waitFor('the supervisor to give up', () => (pidsOf(state).some(alive) ? undefined : true));
    const status = await jailwright('status', recipe, '--root', root, '--json');
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'crashed', restarts: 0, lastExit: { signal: 'SIGKILL' } });
  });

  it('self-chroot: the service chroots itself and ends non-root with its root in the jail', async () => {
    const selfRecipe = await writeRecipe(
      parent,
      'self',
      `specVersion: 1
name: self
jail:
  files: [/usr/bin/true]
launch:
  mode: self-chroot
  command: [${program}, --chroot, "{root}", "${uid}", "${gid}"]
  user: ${ACCOUNT}
  capabilities: [sys_chroot, setuid, setgid]
`,
    );
    const selfRoot = path.join(parent, 'self');
    expect((await jailwright('build', selfRecipe, '--root', selfRoot)).code).toBe(0);
    try {
      const start = await run('bash', ['-c', `exec ${LEAKED_FD}</; exec "$@"`, 'bash', process.execPath, CLI, 'start', selfRecipe, '--root', selfRoot]);
      expect(start.stderr).toBe('');
      expect(start.code).toBe(0);
      const state = JSON.parse(readFileSync(path.join(parent, '.self.jailwright/launch/state.json'), 'utf8')) as LaunchState;
      started.push(...pidsOf(state));
      const pid = state.service?.pid as number;
      // It chroots and drops on its own right after start: wait for the drop.
      await waitFor('the service to chroot itself', () => (readlinkRoot(pid) === realpathSync(selfRoot) ? true : undefined));
      const failures = fenceFailures(pid, { uid, gid, groups: [], root: realpathSync(selfRoot) });
      expect(failures).toEqual({});
      const bounding = BigInt(`0x${/CapBnd:\s+(\w+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]}`);
      // CAP_SETGID 6, CAP_SETUID 7, CAP_SYS_CHROOT 18: nothing else.
      expect(bounding).toBe((1n << 6n) | (1n << 7n) | (1n << 18n));
    } finally {
      await jailwright('stop', selfRecipe, '--root', selfRoot);
    }
  });

  it('a rebuild while the service runs keeps the tree it runs in, and removes it once the service is stopped', async () => {
    expect((await startHoldingFd()).code).toBe(0);
    const state = readState();
    started.push(...pidsOf(state));
    const pid = state.service?.pid as number;
    const runningIn = readlinkRoot(pid) as string;
    expect(runningIn).toBe(realpathSync(root));

    const rebuilt = await jailwright('build', recipe, '--root', root, '--force');
    expect(rebuilt.code).toBe(0);
    expect(realpathSync(root)).not.toBe(runningIn);
    // The running service's root is still there, whole, and it still runs in it.
    expect(existsSync(path.join(runningIn, 'usr/bin/test-service'))).toBe(true);
    expect(readlinkRoot(pid)).toBe(runningIn);
    expect(alive(pid)).toBe(true);

    expect((await jailwright('stop', recipe, '--root', root)).code).toBe(0);
    expect((await jailwright('build', recipe, '--root', root, '--force')).code).toBe(0);
    expect(existsSync(runningIn)).toBe(false);
  });
});

function readlinkRoot(pid: number): string | undefined {
  try {
    return realpathSync(`/proc/${pid}/root`);
  } catch {
    return undefined;
  }
}
