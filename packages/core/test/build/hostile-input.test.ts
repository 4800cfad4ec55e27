import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan, HostView, loadRecipe, planJail } from '../../src/index.js';
import { DEMO_RECIPE, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the hostile-input tests');

/** The host paths a confused build could hit, hashed with their metadata. */
async function fingerprint(paths: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of paths) {
    const info = await lstat(file).catch(() => undefined);
    hash.update(`${file} ${info ? `${info.mode} ${info.uid} ${info.mtimeMs} ${info.size}` : 'absent'}\n`);
    if (info?.isFile()) hash.update(await readFile(file));
    if (info?.isDirectory()) hash.update((await readdir(file)).sort().join('\n'));
  }
  return hash.digest('hex');
}

describe.skipIf(!isRoot)('hostile recipes and jail roots are refused or handled, and nothing is written outside the root', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  // What a build led out of its root would write over: the files a jail's etc holds, a binary directory,
  // a document root, a path named "escape". /etc/passwd and /etc/group are checked by their accounts instead of
  // their bytes, since other test files (run in parallel) add and remove their own jw-* accounts meanwhile.
  const watched = ['/etc/hosts', '/etc/nsswitch.conf', '/etc/localtime', '/usr/bin', '/var/www', '/escape'];
  const hostAccounts = async (file: string) =>
    new Set((await readFile(file, 'utf8')).split('\n').map((line) => line.split(':')[0]!).filter((name) => name && !/^(jw|jailwright)/.test(name)));
  let before: string;
  let accountsBefore: Set<string>[];
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    before = await fingerprint(watched);
    accountsBefore = await Promise.all(['/etc/passwd', '/etc/group'].map(hostAccounts));
  });
  afterAll(async () => {
    try {
      expect(await fingerprint(watched)).toBe(before);
      // A jail's passwd written over the host's would hold nobody alone: every host account must still be there.
      expect(await Promise.all(['/etc/passwd', '/etc/group'].map(hostAccounts))).toEqual(accountsBefore);
    } finally {
      await cleanup?.();
    }
  });

  it('binary junk as a recipe: a clear error, exit 2', async () => {
    const junk = path.join(parent, 'junk.yaml');
    await writeFile(junk, Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 256)));
    const result = await jailwright('build', junk, '--root', path.join(parent, 'junk'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^jailwright: .*junk\.yaml/);
    expect(result.stderr).not.toMatch(/unexpected error|at .*\.js:\d+/);
  });

  it('an enormous recipe: refused before parsing, exit 2', async () => {
    const huge = path.join(parent, 'huge.yaml');
    await writeFile(huge, `specVersion: 1\nname: huge\njail:\n  files:\n${'    - /usr/bin/id\n'.repeat(400_000)}`);
    const result = await jailwright('build', huge, '--root', path.join(parent, 'huge'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/too large/);
  });

  it('deeply nested YAML and an alias bomb: clear errors, exit 2, no crash', async () => {
    const deep = await writeRecipe(parent, 'deep', `specVersion: 1\nname: deep\njail:\n  files: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    const deepResult = await jailwright('build', deep, '--root', path.join(parent, 'deep'));
    expect(deepResult.code).toBe(2);
    expect(deepResult.stderr).toMatch(/deep\.yaml:4:\d+: the recipe nests too deeply/);
    expect(deepResult.stderr).not.toMatch(/unexpected error|RangeError|Maximum call stack/);
    const bomb = await writeRecipe(
      parent,
      'bomb',
      `specVersion: 1\nname: bomb\ndescription: &a ["x","x","x","x","x","x","x","x","x"]\njail:\n  groups: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  users: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  files: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`,
    );
    const bombResult = await jailwright('build', bomb, '--root', path.join(parent, 'bomb'));
    expect(bombResult.code).toBe(2);
    expect(bombResult.stderr).toMatch(/bomb\.yaml:\d+:\d+: /);
  });

  it('a files: entry that is a FIFO or a device is refused, naming the devices: key', async () => {
    const fifo = path.join(parent, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [name, entry] of [
      ['fifo', fifo],
      ['device', '/dev/null'],
    ] as const) {
      const recipe = await writeRecipe(parent, name, `specVersion: 1\nname: ${name}\njail:\n  files: [${entry}]\n`);
      const result = await jailwright('build', recipe, '--root', path.join(parent, name));
      expect(result.code, name).toBe(2);
      expect(result.stderr, name).toContain(`${entry} is not a regular file, directory or link`);
      await expect(lstat(path.join(parent, name))).rejects.toThrow(/ENOENT/);
    }
  });

  it('an absolute symlink target in a recipe is made relative, so it resolves inside the jail from the host too', async () => {
    const recipe = await writeRecipe(
      parent,
      'links',
      'specVersion: 1\nname: links\njail:\n  files: [/usr/bin/id]\n  directories: [/etc]\n  symlinks:\n    - { path: /var/www/etc-link, target: /etc }\n',
    );
    const root = path.join(parent, 'links');
    expect((await jailwright('build', recipe, '--root', root)).code).toBe(0);
    expect(await readlink(path.join(root, 'var/www/etc-link'))).toBe('../../etc');
    expect(await realpath(path.join(root, 'var/www/etc-link'))).toBe(path.join(await realpath(root), 'etc'));
  });

  it('a symlink planted in the live jail between plan and apply changes nothing outside it', async () => {
    const root = path.join(parent, 'between');
    expect((await jailwright('build', DEMO_RECIPE, '--root', root)).code).toBe(0);
    const { recipe } = await loadRecipe(DEMO_RECIPE);
    const plan = await planJail(recipe, new HostView());
    const live = await realpath(root);
    await rm(path.join(live, 'etc'), { recursive: true });
    await symlink('/etc', path.join(live, 'etc'));
    await mkdir(path.join(live, 'usr/lib/escape'), { recursive: true });
    await rm(path.join(live, 'usr/lib/escape'), { recursive: true });
    await symlink('/', path.join(live, 'usr/lib/escape'));
    const result = await applyPlan(plan, root, { engineVersion: 'test', force: true, inputs: { recipeSha256: '', engineVersion: 'test', link: null, paths: [] } });
    expect(result.changed).toBe(true);
    expect((await lstat(path.join(root, 'etc'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(root, 'etc/passwd'), 'utf8')).toBe('nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  });

  it('a jail root on a path with spaces and unicode builds and runs', async () => {
    const odd = path.join(parent, 'jails with spaces', 'ünïcødé ☃ jail');
    await mkdir(path.dirname(odd), { mode: 0o755 });
    const built = await jailwright('build', DEMO_RECIPE, '--root', odd);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect((await run('chroot', [odd, '/usr/bin/id', '-un', 'nobody'])).stdout.trim()).toBe('nobody');
    expect((await jailwright('build', DEMO_RECIPE, '--root', odd)).stdout).toContain('up to date');
  });
});

// Apart from the fingerprinted block above: creating the service account writes the host's /etc/passwd.
describe.skipIf(!isRoot)('a jail root on a path with spaces and unicode as a service', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    await mkdir(path.join(parent, 'jails with spaces'), { mode: 0o755 });
  });
  afterAll(async () => cleanup?.());

  it('starts: the launch chain (the mount fence script, the Landlock step, chroot) takes the path as one argument each', async () => {
    const account = `jwodd${process.pid}`;
    const recipe = await writeRecipe(
      parent,
      'odd-service',
      `specVersion: 1\nname: odd\njail:\n  include: [base]\n  files: [/usr/bin/sleep]\n  users: [{ name: ${account}, create: true }]\nlaunch:\n  mode: engine-chroot\n  command: [/usr/bin/sleep, "600"]\n  user: ${account}\n  stop: { timeoutSeconds: 2 }\n`,
    );
    const service = path.join(parent, 'jails with spaces', 'ünïcødé ☃ service');
    try {
      expect((await jailwright('build', recipe, '--root', service)).code).toBe(0);
      const started = await jailwright('start', recipe, '--root', service, '--json');
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      const pid = (JSON.parse(started.stdout) as { servicePid: number }).servicePid;
      expect(await readlink(`/proc/${pid}/root`)).toBe(await realpath(service));
      expect((await jailwright('stop', recipe, '--root', service)).code).toBe(0);
    } finally {
      await jailwright('stop', recipe, '--root', service);
      await run('userdel', [account]);
      await run('groupdel', [account]);
    }
  });
});
