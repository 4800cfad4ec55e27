import { readFileSync, readlinkSync } from 'node:fs';
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

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    const program = path.join(parent, 'test-service');
    await writeFile(`${program}.c`, TEST_SERVICE_SOURCE);
    expect((await run('gcc', ['-O2', '-o', program, `${program}.c`])).stderr).toBe('');
    // The service is the launch tests' pausing program in the jail; the companion is a shell outside it that names the jail root it was
    // given and starts a child of its own (as smtpfwdd starts the mailer), which must go when it goes.
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
  stop: { timeoutSeconds: 3 }
  companions:
    - { name: watcher, command: [/bin/sh, -c, 'sleep 3601 & wait', watcher, "{root}"] }
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
    expect(await until(() => (state().companions?.length ?? 0) === 1, 5000)).toBe(true);
    const service = state().service!;
    const companion = state().companions![0]!;
    expect(companion.name).toBe('watcher');
    expect(readlinkSync(`/proc/${companion.pid}/root`)).toBe('/');
    expect(readlinkSync(`/proc/${service.pid}/root`)).not.toBe('/');
    // setsid execs the command in place: the same pid, once exec has happened.
    await until(() => commandLine(companion.pid).startsWith('/bin/sh'), 2000);
    expect(commandLine(companion.pid)).toBe(`/bin/sh -c sleep 3601 & wait watcher ${readlinkSync(`/proc/${service.pid}/root`)}`);
    await until(() => readFileSync(`/proc/${companion.pid}/task/${companion.pid}/children`, 'utf8').trim() !== '', 2000);
    const grandchild = Number(readFileSync(`/proc/${companion.pid}/task/${companion.pid}/children`, 'utf8').trim());
    // The shell forks, then the child execs sleep: until then the child still shows the shell's command line.
    await until(() => commandLine(grandchild) === 'sleep 3601', 2000);
    expect(commandLine(grandchild)).toBe('sleep 3601');
    const status = await jailwright('status', recipe, '--root', root);
    expect(status.stdout).toContain(`companion watcher pid ${companion.pid}, outside the jail`);

    expect((await jailwright('stop', recipe, '--root', root)).code).toBe(0);
    expect(alive(companion.pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    expect(alive(service.pid)).toBe(false);
    expect(state().companions).toBeUndefined();
  });

  it('goes when the service dies on its own', async () => {
    expect((await jailwright('start', recipe, '--root', root)).code).toBe(0);
    expect(await until(() => (state().companions?.length ?? 0) === 1, 5000)).toBe(true);
    const companion = state().companions![0]!;
    process.kill(state().service!.pid, 'SIGKILL');
    expect(await until(() => !alive(companion.pid), 5000), 'the companion outlived its service').toBe(true);
    expect(await until(() => state().status === 'crashed', 5000)).toBe(true);
  });
});
