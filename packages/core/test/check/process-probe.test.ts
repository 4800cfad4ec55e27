import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDescendants, processTree, runProbe, waitFor } from '../../src/check/index.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, writeRecipe } from '../support/root.js';

const SLEEPER_RECIPE = `specVersion: 1
name: sleeper
jail:
  include: [base]
  files: [/usr/bin/sleep]
  users: [nobody]
`;

const children: ChildProcess[] = [];
/** Grandchildren started through a shell, killed by PID too so none outlives the test. */
const strays: number[] = [];

function start(command: string, args: string[]): number {
  const child = spawn(command, args, { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  children.push(child);
  return child.pid;
}

/** Waits until the process has exec'd `name`, so its ids and root are the final ones. */
async function waitForExec(pid: number, name: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`pid ${pid} never became ${name}`);
}

/** Kills exactly the processes this file started, by PID. */
function killStarted(): void {
  const pids = [...children.filter((child) => child.exitCode === null && child.signalCode === null).map((child) => child.pid), ...strays.splice(0)];
  for (const pid of pids) {
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

afterAll(killStarted);

describe('processTree', () => {
  it('lists a process and its descendants from /proc, and nothing that has exited', async () => {
    const shell = start('/bin/sh', ['-c', '/usr/bin/sleep 30 & /bin/sh -c "/usr/bin/sleep 30 & wait" & wait']);
    let tree: number[] = [];
    for (let tries = 0; tries < 100 && tree.length < 4; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      tree = await processTree(shell);
    }
    strays.push(...tree.slice(1));
    expect(tree[0]).toBe(shell);
    expect(tree).toHaveLength(4);
    const names = await Promise.all(tree.map(async (pid) => (await readFile(`/proc/${pid}/comm`, 'utf8')).trim()));
    expect(names.sort()).toEqual(['sh', 'sh', 'sleep', 'sleep']);
    expect(await listDescendants(process.pid)).toContain(shell);
    expect(await listDescendants(2 ** 22 + 1)).toEqual([]);
  });
});

explainSkipUnlessRoot('the process probe tests (they chroot and change uid)');

describe.skipIf(!isRoot)('process probe against real processes in a jail built by the engine', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let jailed: number;

  beforeAll(async () => {
    let parent: string;
    ({ parent, cleanup } = await makeJailParent());
    root = path.join(parent, 'sleeper');
    const recipe = await writeRecipe(parent, 'sleeper', SLEEPER_RECIPE);
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    jailed = start('chroot', ['--userspec=65534:65534', root, '/usr/bin/sleep', '30']);
    await waitForExec(jailed, 'sleep');
  });

  afterAll(async () => {
    killStarted();
    await cleanup?.();
  });

  it('passes for sleep run by chroot --userspec as nobody inside the jail', async () => {
    const result = await runProbe({ type: 'process', user: 'nobody' }, { root, pids: [jailed] });
    const jailRoot = await realpath(root);
    expect(result).toMatchObject({
      ok: true,
      expected: `pids ${jailed} running as nobody (uid 65534, gid 65534), not root, with root ${jailRoot}`,
      actual: `pid ${jailed}: uid 65534, gid 65534, root ${jailRoot}`,
    });
    expect(jailRoot).not.toBe('/');
  });

  it('is what a launcher can wait on for readiness', async () => {
    const pid = start('chroot', ['--userspec=65534:65534', root, '/usr/bin/sleep', '30']);
    const result = await waitFor({ type: 'process', user: 'nobody', group: 'nogroup' }, { root, pids: [pid] }, { timeoutMs: 5_000, intervalMs: 20 });
    expect(result.ok, result.actual).toBe(true);
  });

  it('fails for a root process inside the jail', async () => {
    const pid = start('chroot', [root, '/usr/bin/sleep', '30']);
    await waitForExec(pid, 'sleep');
    const result = await runProbe({ type: 'process', user: 'nobody' }, { root, pids: [pid] });
    expect(result).toMatchObject({ ok: false, actual: `pid ${pid} runs as root (uid 0); pid ${pid} has group root (gid 0)` });
  });

  it('fails for an unprivileged process whose root is the host /', async () => {
    const pid = start('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/sleep', '30']);
    await waitForExec(pid, 'sleep');
    const result = await runProbe({ type: 'process', user: 'nobody' }, { root, pids: [pid] });
    expect(result).toMatchObject({ ok: false, actual: `pid ${pid} root /` });
  });

  it('checks every PID given and names only the ones that fail', async () => {
    const outside = start('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/sleep', '30']);
    await waitForExec(outside, 'sleep');
    const result = await runProbe({ type: 'process', user: 'nobody' }, { root, pids: [jailed, outside] });
    expect(result.ok).toBe(false);
    expect(result.actual).toBe(`pid ${outside} root /`);
  });

  it('with scope children, leaves out the main process (root, outside the jail) and checks every other one', async () => {
    // This test process stands in for Apache's parent under ChrootDir: root, on the host.
    const children = await runProbe({ type: 'process', user: 'nobody', scope: 'children' }, { root, pids: [process.pid, jailed] });
    expect(children.ok, children.actual).toBe(true);
    expect(children.expected).toMatch(/^pids \d+ running as nobody/);
    const all = await runProbe({ type: 'process', user: 'nobody' }, { root, pids: [process.pid, jailed] });
    expect(all).toMatchObject({ ok: false, actual: expect.stringContaining(`pid ${process.pid} runs as root`) });
    const none = await runProbe({ type: 'process', user: 'nobody', scope: 'children' }, { root, pids: [process.pid] });
    expect(none).toMatchObject({ ok: false, actual: 'the service process has started no processes' });
  });

  it('fails the wrong user, a service PID that is gone (not a descendant that exited), and no PIDs at all', async () => {
    const wrongUser = await runProbe({ type: 'process', user: 'daemon' }, { root, pids: [jailed] });
    expect(wrongUser).toMatchObject({ ok: false, actual: `pid ${jailed} uid 65534; pid ${jailed} gid 65534` });
    const gone = start('/usr/bin/true', []);
    await new Promise<void>((resolve) => children.at(-1)?.once('exit', () => resolve()));
    const result = await runProbe({ type: 'process', user: 'nobody' }, { root, pids: [gone] });
    expect(result).toMatchObject({ ok: false, actual: `pid ${gone} is not running` });
    // A descendant that exited after the PIDs were listed (a connection's child) is no finding; the service gone is one.
    const exited = await runProbe({ type: 'process', user: 'nobody' }, { root, pids: [jailed, gone] });
    expect(exited).toMatchObject({ ok: true, actual: `pid ${jailed}: uid 65534, gid 65534, root ${await realpath(root)}; pid ${gone} exited before it was checked` });
    expect(await runProbe({ type: 'process', user: 'nobody' }, { root, pids: [gone, jailed] })).toMatchObject({ ok: false, actual: `pid ${gone} is not running` });
    expect(await runProbe({ type: 'process', user: 'nobody' }, { root })).toMatchObject({ ok: false, actual: expect.stringMatching(/^no PIDs given/) });
    expect(await runProbe({ type: 'process', user: 'no-such-user' }, { root, pids: [jailed] })).toMatchObject({
      ok: false,
      actual: 'user "no-such-user" does not exist on the host',
    });
  });
});
