import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the host account creation test');

const ACCOUNT = `jwtest${process.pid}`;

describe.skipIf(!isRoot)('a recipe asks for its service account', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    expect((await run('getent', ['passwd', ACCOUNT])).code).not.toBe(0);
  });
  afterAll(async () => {
    // Remove the host account (and its user group) this test made.
    await run('userdel', [ACCOUNT]);
    await run('groupdel', [ACCOUNT]);
    await cleanup?.();
  });

  it('creates a system account with no login shell, puts only it in the jail, and owns its directory', async () => {
    const recipe = await writeRecipe(
      parent,
      'account',
      `specVersion: 1
name: account
jail:
  files: [/usr/bin/id]
  users: [{ name: ${ACCOUNT}, create: true }]
  directories:
    - { path: /var/lib/service, owner: ${ACCOUNT}, mode: "0700" }
`,
    );
    const dryRun = await jailwright('build', recipe, '--root', path.join(parent, 'account'), '--dry-run');
    expect(dryRun.stdout).toContain(`account  create host system account ${ACCOUNT}`);
    expect((await run('getent', ['passwd', ACCOUNT])).code).not.toBe(0);

    const built = await jailwright('build', recipe, '--root', path.join(parent, 'account'));
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toContain(`created host system account ${ACCOUNT}`);
    const host = (await run('getent', ['passwd', ACCOUNT])).stdout.trim().split(':');
    expect(host[6]).toBe('/usr/sbin/nologin');
    expect(Number(host[2])).toBeLessThan(1000);

    const jailPasswd = await readFile(path.join(parent, 'account/etc/passwd'), 'utf8');
    expect(jailPasswd).toBe(`${ACCOUNT}:x:${host[2]}:${host[3]}:${host[4]}:${host[5]}:/usr/sbin/nologin\n`);
    const jailGroup = await readFile(path.join(parent, 'account/etc/group'), 'utf8');
    expect(jailGroup).toBe(`${ACCOUNT}:x:${host[3]}:\n`);
    const directory = await stat(path.join(parent, 'account/var/lib/service'));
    expect([directory.uid, directory.gid, directory.mode & 0o7777]).toEqual([Number(host[2]), Number(host[3]), 0o700]);
    expect((await run('chroot', ['--userspec', `${ACCOUNT}:${ACCOUNT}`, path.join(parent, 'account'), '/usr/bin/id', '-un'])).stdout.trim()).toBe(ACCOUNT);

    const again = await jailwright('build', recipe, '--root', path.join(parent, 'account'));
    expect(again.stdout).not.toContain('created host system account');
    expect(again.stdout).toContain('up to date');
  });
});
