import { readFileSync, readlinkSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchState } from '../../src/index.js';
import { writeFile } from 'node:fs/promises';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { alive, TEST_SERVICE_SOURCE } from './fixtures.js';

explainSkipUnlessRoot('the companion-process test');

const ACCOUNT = `jwc${process.pid}`;

/** The companion's command line as the kernel has it, NUL-separated arguments joined by spaces. */
function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

describe.skipIf(!isRoot)('launch.companions: a process outside the jail that starts and stops with the service', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let recipe: string;
  let root: string;
  const state = () => JSON.parse(readFileSync(path.join(parent, '.companion.jailwright/launch/state.json'), 'utf8')) as LaunchState;
  const companion = (name: string) => state().companions?.find((entry) => entry.name === name);
  /** Where the stubborn companion notes each SIGTERM it receives. */
  const terms = () => path.join(parent, 'stubborn-terms');

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    const program = path.join(parent, 'test-service');
    await writeFile(`${program}.c`, TEST_SERVICE_SOURCE);
    expect((await run('gcc', ['-O2', '-o', program, `${program}.c`])).stderr).toBe('');
    // The service is the launch tests' pausing program in the jail; the companion is a shell outside it that names the jail root it was
    // given and starts a child of its own (as smtpfwdd starts the mailer), which must go when it goes. The stubborn one notes each
    // SIGTERM it gets in a file and carries on, so only SIGKILL ends it. The service takes 300 ms to stop: a SIGTERM sent to the
    // companions again once it has gone would come well after the first, not merge with it.
    recipe = await writeRecipe(
      parent,
      'companion',
      `specVersion: 1
name: companion
jail:
  include: [base]
  files: [{ path: ${program}, to: /usr/sbin/test-service }]
  users: [{ name: ${ACCOUNT}, create: true }]
launch:
  mode: engine-chroot
  command: [/usr/sbin/test-service]
  user: ${ACCOUNT}
  env: { TEST_SERVICE_STOP_DELAY_MS: "300" }
  stop: { timeoutSeconds: 3 }
  companions:
    - { name: watcher, command: [/bin/sh, -c, 'sleep 3601 & wait', watcher, "{root}"] }
    - { name: stubborn, command: [/bin/sh, -c, 'trap "echo TERM >> $0" TERM; while :; do sleep 0.1; done', "${terms()}"] }
syslog: { method: none }
`,
    );
    root = path.join(parent, 'companion');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.code, built.stderr).toBe(0);
  });

  afterAll(async () => {
    await jailwright('stop', recipe, '--root', root);
    await run('userdel', [ACCOUNT]);
    await run('groupdel', [ACCOUNT]);
    await cleanup?.();
  });

  it('runs on the host beside the jailed service with {root} filled in, and stop ends it and its children', async () => {
    const started = await jailwright('start', recipe, '--root', root);
    expect(started.code, started.stderr).toBe(0);
    expect(await until(() => (state().companions?.length ?? 0) === 2, 5000)).toBe(true);
    const service = state().service!;
    const watcher = companion('watcher')!;
    expect(readlinkSync(`/proc/${watcher.pid}/root`)).toBe('/');
    expect(readlinkSync(`/proc/${service.pid}/root`)).not.toBe('/');
    // setsid execs the command in place: the same pid, once exec has happened.
    await until(() => commandLine(watcher.pid).startsWith('/bin/sh'), 2000);
    expect(commandLine(watcher.pid)).toBe(`/bin/sh -c sleep 3601 & wait watcher ${readlinkSync(`/proc/${service.pid}/root`)}`);
    await until(() => readFileSync(`/proc/${watcher.pid}/task/${watcher.pid}/children`, 'utf8').trim() !== '', 2000);
    const grandchild = Number(readFileSync(`/proc/${watcher.pid}/task/${watcher.pid}/children`, 'utf8').trim());
    // The shell forks, then the child execs sleep: until then the child still shows the shell's command line.
    await until(() => commandLine(grandchild) === 'sleep 3601', 2000);
    expect(commandLine(grandchild)).toBe('sleep 3601');
    const status = await jailwright('status', recipe, '--root', root);
    expect(status.stdout).toContain(`companion watcher pid ${watcher.pid}, outside the jail`);

    expect((await jailwright('stop', recipe, '--root', root)).code).toBe(0);
    expect(alive(watcher.pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    expect(alive(service.pid)).toBe(false);
    expect(state().companions).toBeUndefined();
  });

  it('goes when the service dies on its own', async () => {
    expect((await jailwright('start', recipe, '--root', root)).code).toBe(0);
    expect(await until(() => (state().companions?.length ?? 0) === 2, 5000)).toBe(true);
    const [watcher, stubborn] = [companion('watcher')!, companion('stubborn')!];
    process.kill(state().service!.pid, 'SIGKILL');
    expect(await until(() => !alive(watcher.pid), 5000), 'the companion outlived its service').toBe(true);
    // The stubborn one outlives SIGTERM: SIGKILL ends it launch.stop.timeoutSeconds (3 s) later.
    expect(await until(() => !alive(stubborn.pid), 8000), 'the stubborn companion outlived its service').toBe(true);
    expect(await until(() => state().status === 'crashed', 5000)).toBe(true);
  });

  it('stop sends each companion SIGTERM once, and ends one that ignores it with SIGKILL', async () => {
    rmSync(terms(), { force: true });
    expect((await jailwright('start', recipe, '--root', root)).code).toBe(0);
    expect(await until(() => (state().companions?.length ?? 0) === 2, 5000)).toBe(true);
    const stubborn = companion('stubborn')!;
    // The shell has set its trap once it runs its loop's sleep.
    expect(await until(() => readFileSync(`/proc/${stubborn.pid}/task/${stubborn.pid}/children`, 'utf8').trim() !== '', 2000)).toBe(true);
    expect((await jailwright('stop', recipe, '--root', root)).code).toBe(0);
    expect(alive(stubborn.pid)).toBe(false);
    expect(readFileSync(terms(), 'utf8')).toBe('TERM\n');
  });
});
