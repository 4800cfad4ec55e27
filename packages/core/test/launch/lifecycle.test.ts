import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchSpec, LaunchState } from '../../src/index.js';
import { CLI, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { alive, answer, fenceFailures, pidsOf, waitFor } from './fixtures.js';
import { processesWithUid } from '../../src/launch/service-account.js';

explainSkipUnlessRoot('the service lifecycle tests (restart, --foreground, stop escalation, status, accounts, readiness)');

const ACCOUNT = `jwc${process.pid}`;
const OTHER_ACCOUNT = `jwd${process.pid}`;
const LATE_PORT = 40_000 + (process.pid % 10_000);
const DEAF_PORT = LATE_PORT + 10_000;
/** A descriptor the caller of `start` holds open without close-on-exec: a directory outside the jail. */
const LEAKED_FD = 200;

/**
 * The lifecycle test service, by its first argument:
 *   pause           waits for SIGTERM, then exits 0;
 *   ignore-term     ignores SIGTERM (only SIGKILL ends it);
 *   listen PORT MS  waits MS milliseconds, then listens on 127.0.0.1:PORT and answers "ready";
 *   deaf            waits for SIGTERM and never listens.
 */
const SERVICE_SOURCE = String.raw`
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static void on_term(int sig) { (void)sig; _exit(0); }
int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "pause";
  signal(SIGTERM, strcmp(mode, "ignore-term") == 0 ? SIG_IGN : on_term);
  printf("lifecycle service %s up\n", mode);
  fflush(stdout);
  if (strcmp(mode, "listen") == 0 && argc > 3) {
    usleep((useconds_t)atoi(argv[3]) * 1000);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) { perror("listen"); return 1; }
    for (;;) {
      int c = accept(s, 0, 0);
      if (c < 0) continue;
      (void)write(c, "ready\n", 6);
      close(c);
    }
  }
  for (;;) pause();
}
`;

describe.skipIf(!isRoot)('the service lifecycle: restart, --foreground, stop escalation, status, accounts, readiness', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let program: string;
  let uid: number;
  let gid: number;
  const recipes = new Map<string, { recipe: string; root: string }>();
  const started: number[] = [];

  const launchDirectory = (name: string) => path.join(parent, `.${name}.jailwright/launch`);
  const readState = (name: string) => JSON.parse(readFileSync(path.join(launchDirectory(name), 'state.json'), 'utf8')) as LaunchState;
  const target = (name: string) => {
    const entry = recipes.get(name);
    if (!entry) throw new Error(`no recipe ${name}`);
    return [entry.recipe, '--root', entry.root];
  };
  const cli = (command: string, name: string, ...extra: string[]) => jailwright(command, ...target(name), ...extra);
  const status = async (name: string) => {
    const result = await cli('status', name, '--json');
    return { code: result.code, status: JSON.parse(result.stdout) as { state: string; servicePid?: number; supervisorPid?: number; restarts: number; problem?: string } };
  };
  const fence = (name: string, pid: number) => fenceFailures(pid, { uid, gid, groups: [], root: realpathSync(recipes.get(name)?.root as string) });

  /** Writes the recipe of one jail (all run the same program, as the same account unless told) and builds it. */
  async function recipe(name: string, launch: string, extra = '', account = ACCOUNT): Promise<void> {
    const file = await writeRecipe(
      parent,
      name,
      `specVersion: 1
name: ${name}
jail:
  files: [{ path: ${program}, to: /usr/bin/lifecycle-service }]
  users: [{ name: ${account}, create: true }]
launch:
  mode: engine-chroot
  user: ${account}
${launch}${extra}`,
    );
    const root = path.join(parent, name);
    recipes.set(name, { recipe: file, root });
    const built = await jailwright('build', file, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
  }

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    program = path.join(parent, 'lifecycle-service');
    await writeFile(`${program}.c`, SERVICE_SOURCE);
    expect((await run('gcc', ['-O2', '-o', program, `${program}.c`])).stderr).toBe('');
    await recipe('calm', '  command: [/usr/bin/lifecycle-service, pause]\n  stop: { timeoutSeconds: 3 }\n');
    await recipe('stubborn', '  command: [/usr/bin/lifecycle-service, ignore-term]\n  stop: { timeoutSeconds: 1 }\n');
    await recipe('late', `  command: [/usr/bin/lifecycle-service, listen, "${LATE_PORT}", "1000"]\n  stop: { timeoutSeconds: 3 }\n`, `probes:\n  - { type: tcp, port: ${LATE_PORT} }\n  - { type: process, user: ${ACCOUNT} }\n`);
    await recipe('deaf', `  command: [/usr/bin/lifecycle-service, deaf]\n  readyTimeoutSeconds: 2\n`, `probes:\n  - { type: tcp, port: ${DEAF_PORT}, timeoutMs: 500 }\n`);
    const account = (await run('getent', ['passwd', ACCOUNT])).stdout.split(':');
    [uid, gid] = [Number(account[2]), Number(account[3])];
  });

  afterEach(async () => {
    for (const name of recipes.keys()) if (existsSync(launchDirectory(name))) await cli('stop', name);
    for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  afterAll(async () => {
    for (const account of [ACCOUNT, OTHER_ACCOUNT]) {
      await run('userdel', [account]);
      await run('groupdel', [account]);
    }
    await cleanup?.();
  });

  it('status says stopped before the first start', async () => {
    const { code, status: before } = await status('calm');
    expect(code).toBe(1);
    expect(before).toMatchObject({ state: 'stopped', restarts: 0 });
    expect(before.servicePid).toBeUndefined();
  });

  it('restart brings the service back with a new PID, fenced, keeps the restart policy and counts restarts afresh', async () => {
    expect((await cli('start', 'calm', '--restart', 'on-failure')).code).toBe(0);
    const first = readState('calm');
    started.push(...pidsOf(first));
    // One automatic restart after a crash, so the counter is not 0 before the manual restart.
    process.kill(first.service?.pid as number, 'SIGKILL');
    const recovered = await waitFor('the automatic restart', () => {
      const state = readState('calm');
      return state.status === 'running' && state.service?.pid !== first.service?.pid ? state : undefined;
    });
    started.push(...pidsOf(recovered));
    expect((await status('calm')).status.restarts).toBe(1);

    const restart = await cli('restart', 'calm');
    expect(restart.stderr).toBe('');
    expect(restart.code).toBe(0);
    expect(restart.stdout).toMatch(/^restarted: calm in .*: running\n/);
    const after = readState('calm');
    started.push(...pidsOf(after));
    const pid = after.service?.pid as number;
    expect(pid).not.toBe(recovered.service?.pid);
    expect(after.supervisor.pid).not.toBe(recovered.supervisor.pid);
    expect(pidsOf(recovered).filter(alive)).toEqual([]);
    expect(fence('calm', pid)).toEqual({});
    expect((await status('calm')).status).toMatchObject({ state: 'running', servicePid: pid, restarts: 0 });
    const spec = JSON.parse(readFileSync(path.join(launchDirectory('calm'), 'launch.json'), 'utf8')) as LaunchSpec;
    expect(spec.restart).toBe('on-failure');

    expect((await cli('stop', 'calm')).code).toBe(0);
    const cold = await cli('restart', 'calm', '--restart', 'no');
    expect(cold.code).toBe(0);
    expect(cold.stdout).toMatch(/^was not running; started: calm in .*: running\n/);
    started.push(...pidsOf(readState('calm')));
  });

  it('start --foreground supervises in the calling process until SIGTERM, with the leaked descriptor closed', async () => {
    const foreground = spawn('bash', ['-c', `exec ${LEAKED_FD}</; exec "$@"`, 'bash', process.execPath, CLI, 'start', ...target('calm'), '--foreground'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    foreground.stdout.on('data', (chunk) => (output += chunk.toString()));
    foreground.stderr.on('data', (chunk) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => foreground.on('exit', (code) => resolve(code)));
    const cliPid = foreground.pid as number;
    started.push(cliPid);
    const state = await waitFor('the foreground service', () => {
      try {
        const current = readState('calm');
        return current.status === 'running' && current.supervisor.pid === cliPid ? current : undefined;
      } catch {
        return undefined;
      }
    });
    started.push(...pidsOf(state));
    const pid = state.service?.pid as number;
    expect(fence('calm', pid)).toEqual({});
    expect((await status('calm')).status).toMatchObject({ state: 'running', servicePid: pid, supervisorPid: cliPid });

    process.kill(cliPid, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(alive(state.launcher?.pid as number)).toBe(false);
    expect(output).toMatch(/SIGTERM: stopping the service/);
    expect(output).toMatch(/calm in .*: stopped\n/);
    const after = await status('calm');
    expect(after.code).toBe(1);
    expect(after.status.state).toBe('stopped');
  });

  it('stop kills a service that ignores SIGTERM after launch.stop.timeoutSeconds, and says so', async () => {
    expect((await cli('start', 'stubborn')).code).toBe(0);
    const state = readState('stubborn');
    started.push(...pidsOf(state));
    const began = Date.now();
    const stop = await cli('stop', 'stubborn');
    const elapsed = Date.now() - began;
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^stopped stubborn in .* \(killed after the stop timeout\)\n$/);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(pidsOf(state).filter(alive)).toEqual([]);
    expect(readFileSync(path.join(launchDirectory('stubborn'), 'supervisor.log'), 'utf8')).toMatch(/outlived 1000 ms: SIGKILL/);
    expect((await status('stubborn')).status.state).toBe('stopped');
  });

  it('status tells a service whose supervisor was killed with SIGKILL, and stop still ends it by PID', async () => {
    expect((await cli('start', 'calm')).code).toBe(0);
    const state = readState('calm');
    started.push(...pidsOf(state));
    process.kill(state.supervisor.pid, 'SIGKILL');
    await waitFor('the supervisor to die', () => (alive(state.supervisor.pid) ? undefined : true));
    expect(alive(state.service?.pid as number)).toBe(true);

    const { code, status: orphan } = await status('calm');
    expect(code).toBe(0);
    expect(orphan).toMatchObject({ state: 'running', servicePid: state.service?.pid });
    expect(orphan.supervisorPid).toBeUndefined();
    expect(orphan.problem).toMatch(/the supervisor is gone: the service runs unsupervised/);
    expect((await cli('status', 'calm')).stdout).toMatch(/problem: the supervisor is gone/);

    const stop = await cli('stop', 'calm');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^stopped calm/);
    expect(pidsOf(state).filter(alive)).toEqual([]);
    expect((await status('calm')).status.state).toBe('stopped');
  });

  it('refuses nobody and an account another running process uses, unless launch.sharedUser says so', async () => {
    await recipe('anonymous', '  command: [/usr/bin/lifecycle-service, pause]\n', '', 'nobody');
    const anonymous = await cli('start', 'anonymous');
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/launch\.user nobody \(uid 65534, gid 65534\) is the shared nobody\/nogroup/);
    expect(anonymous.stderr).toContain('launch.sharedUser: true');
    expect(readState.bind(null, 'anonymous')).toThrow();

    expect((await cli('start', 'calm')).code).toBe(0);
    const calm = readState('calm');
    started.push(...pidsOf(calm));
    await recipe('twin', '  command: [/usr/bin/lifecycle-service, pause]\n');
    const twin = await cli('start', 'twin');
    expect(twin.code).toBe(3);
    expect(twin.stderr).toMatch(new RegExp(`launch\\.user ${ACCOUNT} \\(uid ${uid}, gid ${gid}\\) is already used by 1 running process outside this jail: ${calm.service?.pid} \\(lifecycle-servi\\)`));

    await recipe('twin', '  command: [/usr/bin/lifecycle-service, pause]\n  sharedUser: true\n');
    const shared = await cli('start', 'twin');
    expect(shared.stderr).toBe('');
    expect(shared.code).toBe(0);
    started.push(...pidsOf(readState('twin')));

    // Its own account: started beside the running one.
    await recipe('single', '  command: [/usr/bin/lifecycle-service, pause]\n', '', OTHER_ACCOUNT);
    const otherUid = Number((await run('id', ['-u', OTHER_ACCOUNT])).stdout);
    const strangers = processesWithUid(otherUid);
    if (strangers.length > 0) {
      // A test running beside this one leaked a process past the deletion of its account, whose uid the new account got.
      console.warn(`not starting "single": uid ${otherUid} is already used by ${strangers.map((entry) => `${entry.pid} (${entry.command})`).join(', ')}`);
      return;
    }
    const single = await cli('start', 'single');
    expect(single.stderr).toBe('');
    expect(single.code).toBe(0);
    started.push(...pidsOf(readState('single')));
  });

  it('namespaces.net and proc: fresh: its own network namespace, and a procfs of its own pid namespace where it is pid 1', async () => {
    await recipe('isolated', '  command: [/usr/bin/lifecycle-service, pause]\n  namespaces: { net: true }\n  proc: fresh\n', '', ACCOUNT);
    // The build made the empty mount point a fresh procfs needs (a recipe cannot name /proc itself).
    const mountPoint = statSync(path.join(realpathSync(recipes.get('isolated')?.root as string), 'proc'));
    expect([mountPoint.isDirectory(), mountPoint.mode & 0o7777, readdirSync(path.join(realpathSync(recipes.get('isolated')?.root as string), 'proc'))]).toEqual([true, 0o555, []]);
    const start = await cli('start', 'isolated');
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const state = readState('isolated');
    started.push(...pidsOf(state));
    const pid = state.service?.pid as number;
    expect(fence('isolated', pid)).toEqual({});
    expect(statSync(`/proc/${pid}/ns/net`).ino).not.toBe(statSync('/proc/self/ns/net').ino);
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^NSpid:\\s+${pid}\\s+1$`, 'm'));
    const procMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .find((line) => line.split(' ')[4] === '/proc');
    expect(procMount?.split(' - ')[1]?.split(' ')[0]).toBe('proc');
    expect(procMount?.split(' ')[5]?.split(',')).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    // The default launch shares the host network namespace (the services above answer on 127.0.0.1).
    expect((await cli('stop', 'isolated')).code).toBe(0);
  });

  it('start returns only once the probes pass: a service that listens after 1 s answers when start returns', async () => {
    const began = Date.now();
    const start = await cli('start', 'late');
    const elapsed = Date.now() - began;
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    started.push(...pidsOf(readState('late')));
    expect(await answer(LATE_PORT)).toBe('ready\n');
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(start.stdout).toMatch(new RegExp(`ready: ok {3}tcp 127\\.0\\.0\\.1:${LATE_PORT}`));
    expect(start.stdout).toMatch(/ready: ok {3}process runs as/);
  });

  it('start exits 1 naming the probe when the service never answers, and leaves it running', async () => {
    const began = Date.now();
    const start = await cli('start', 'deaf');
    const elapsed = Date.now() - began;
    started.push(...pidsOf(readState('deaf')));
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(/deaf started \(service pid \d+\) but is not ready within launch\.readyTimeoutSeconds \(2 s\)/);
    expect(start.stderr).toContain(`FAIL tcp 127.0.0.1:${DEAF_PORT}: expected`);
    expect(start.stderr).toMatch(/connection refused/);
    expect(start.stderr).toContain('left running');
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(6000);
    expect((await status('deaf')).status.state).toBe('running');
    // Left running with what it runs with: its syslog socket stays until stop.
    expect(statSync(path.join(recipes.get('deaf')?.root as string, 'dev/log')).isSocket()).toBe(true);
  });
});
