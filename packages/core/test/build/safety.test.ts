import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, DEMO_RECIPE, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the bad-input and safety tests');

/** Hashes of host files a confused engine could overwrite, with the /etc listing, to prove the host is untouched. */
async function hostFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const names = (await readdir('/etc')).sort();
  hash.update(names.join('\n'));
  for (const name of ['passwd', 'group', 'hosts', 'nsswitch.conf', 'services', 'protocols', 'hostname']) {
    const file = path.join('/etc', name);
    const info = await lstat(file).catch(() => undefined);
    if (!info) continue;
    hash.update(`${name} ${info.mode} ${info.uid} ${info.gid} ${info.mtimeMs}\n`);
    hash.update(await readFile(file));
  }
  return hash.digest('hex');
}

describe.skipIf(!isRoot)('bad input is refused with a clear error and an untouched host', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let before: string;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    before = await hostFingerprint();
  });
  afterAll(async () => {
    expect(await hostFingerprint()).toBe(before);
    await cleanup?.();
  });

  it('a misspelt key: file:line:column, did-you-mean, exit 2, nothing built', async () => {
    const recipe = await writeRecipe(parent, 'typo', 'specVersion: 1\nname: typo\njail:\n  include: [base]\n  fils: [/usr/bin/id]\n');
    const root = path.join(parent, 'typo');
    const result = await jailwright('build', recipe, '--root', root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${recipe}:5:3: jail: unknown key "fils"`);
    expect(result.stderr).toContain('did you mean "files"?');
    await expect(lstat(root)).rejects.toThrow(/ENOENT/);
  });

  it('a files: entry that does not exist on the host', async () => {
    const recipe = await writeRecipe(parent, 'missing', 'specVersion: 1\nname: missing\njail:\n  files: [/usr/bin/no-such-program]\n');
    const root = path.join(parent, 'missing');
    const result = await jailwright('build', recipe, '--root', root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('/usr/bin/no-such-program does not exist on this host');
    await expect(lstat(root)).rejects.toThrow(/ENOENT/);
  });

  it('".." in a recipe path', async () => {
    const recipe = await writeRecipe(parent, 'dotdot', 'specVersion: 1\nname: dotdot\njail:\n  write:\n    - { path: /etc/../../escape, content: x }\n');
    const result = await jailwright('build', recipe, '--root', path.join(parent, 'dotdot'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/:5:\d+: .*would escape the jail root/);
    await expect(lstat('/escape')).rejects.toThrow(/ENOENT/);
    await expect(lstat(path.join(parent, 'escape'))).rejects.toThrow(/ENOENT/);
  });

  it('a path under /proc, and the host shadow file', async () => {
    const proc = await writeRecipe(parent, 'proc', 'specVersion: 1\nname: proc\njail:\n  files: [/proc/self/environ]\n');
    const procResult = await jailwright('build', proc, '--root', path.join(parent, 'proc'));
    expect(procResult.code).toBe(2);
    expect(procResult.stderr).toMatch(/kernel filesystem/);
    const shadow = await writeRecipe(parent, 'shadow', 'specVersion: 1\nname: shadow\njail:\n  files: [/etc/shadow]\n');
    const shadowResult = await jailwright('build', shadow, '--root', path.join(parent, 'shadow'));
    expect(shadowResult.code).toBe(2);
    expect(shadowResult.stderr).toMatch(/\/etc\/shadow is never copied into a jail/);
  });

  it('a jail root under a world-writable parent names that parent', async () => {
    const unsafe = await mkdtemp(path.join(parent, 'open-'));
    await chmod(unsafe, 0o1777);
    const root = path.join(unsafe, 'jail');
    const result = await jailwright('build', DEMO_RECIPE, '--root', root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`unsafe jail root: ${await realpath(unsafe)} is writable by others (mode 1777)`);
    expect(await readdir(unsafe)).toEqual([]);
  });

  it('a non-empty directory jailwright did not build is not replaced', async () => {
    const root = path.join(parent, 'handmade');
    await mkdir(root);
    await writeFile(path.join(root, 'precious'), 'keep me');
    const result = await jailwright('build', DEMO_RECIPE, '--root', root);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exists and was not built by jailwright \(a non-empty directory\)/);
    expect(await readFile(path.join(root, 'precious'), 'utf8')).toBe('keep me');
  });

  it('a symlink planted in the jail (etc -> /etc) never leads a build to the host, nor passes for "up to date"', async () => {
    const root = path.join(parent, 'planted');
    expect((await jailwright('build', DEMO_RECIPE, '--root', root)).code).toBe(0);
    const jail = await realpath(root);
    await rm(path.join(jail, 'etc'), { recursive: true });
    await symlink('/etc', path.join(jail, 'etc'));
    await rm(path.join(jail, 'usr/bin'), { recursive: true });
    await symlink('/usr/bin', path.join(jail, 'usr/bin'));
    const rebuilt = await jailwright('build', DEMO_RECIPE, '--root', root);
    expect(rebuilt.stderr).toBe('');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).not.toContain('up to date');
    expect(await realpath(root)).not.toBe(jail);
    const etc = await lstat(path.join(root, 'etc'));
    expect(etc.isDirectory()).toBe(true);
    expect((await readdir(path.join(root, 'etc'))).sort()).not.toContain('shadow');
    expect(await readFile(path.join(root, 'etc/passwd'), 'utf8')).toBe('nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    expect((await run('chroot', [root, '/usr/bin/id', '-un', 'nobody'])).stdout.trim()).toBe('nobody');
  });
});

describe.skipIf(!isRoot)('two builds of one jail at once', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ parent, cleanup } = await makeJailParent()));
  afterAll(async () => cleanup?.());

  it('a second build refuses while the first holds the lock, and --wait queues behind it', async () => {
    const root = path.join(parent, 'busy');
    const state = path.join(parent, '.busy.jailwright');
    await mkdir(state, { mode: 0o711 });
    // This test process plays the first build: its PID is alive.
    await writeFile(path.join(state, 'lock'), `${process.pid}\n`);
    const refused = await jailwright('build', DEMO_RECIPE, '--root', root);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`another build of this jail is running (pid ${process.pid}`);
    await expect(lstat(root)).rejects.toThrow(/ENOENT/);

    const waiting = spawn(process.execPath, [CLI, 'build', DEMO_RECIPE, '--root', root, '--wait', '30'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => waiting.on('exit', (code) => resolve(code)));
    // Release the lock only once the second build says it is waiting (however slow the machine is).
    await new Promise<void>((resolve) =>
      waiting.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('waiting for the build')) resolve();
      }),
    );
    expect(stderr).toContain(`waiting for the build running as pid ${process.pid}`);
    await rm(path.join(state, 'lock'));
    expect(await exited).toBe(0);
    expect(await readlink(root)).toBe('.busy.jailwright/generation-000001');
  });

  it('two real builds started together: one builds, the other refuses or finds it up to date; the jail is whole', async () => {
    const root = path.join(parent, 'race');
    const results = await Promise.all([
      jailwright('build', DEMO_RECIPE, '--root', root, '--force'),
      jailwright('build', DEMO_RECIPE, '--root', root, '--force'),
    ]);
    const codes = results.map((result) => result.code).sort();
    expect(codes[0]).toBe(0);
    expect([0, 3]).toContain(codes[1]);
    for (const result of results.filter((candidate) => candidate.code === 3)) {
      expect(result.stderr).toContain('another build of this jail is running');
    }
    expect((await run('chroot', [root, '/usr/bin/id', '-un', 'nobody'])).stdout.trim()).toBe('nobody');
    const verify = await jailwright('build', DEMO_RECIPE, '--root', root, '--json');
    expect(JSON.parse(verify.stdout).result.changed).toBe(false);
  });

  it('a stale lock from a killed build is taken over', async () => {
    const root = path.join(parent, 'stale');
    const state = path.join(parent, '.stale.jailwright');
    await mkdir(state, { mode: 0o711 });
    const dead = await run('sh', ['-c', 'echo $$']);
    await writeFile(path.join(state, 'lock'), dead.stdout);
    const result = await jailwright('build', DEMO_RECIPE, '--root', root);
    expect(result.code).toBe(0);
    await expect(lstat(path.join(state, 'lock'))).rejects.toThrow(/ENOENT/);
  });
});

describe('without root', () => {
  it.skipIf(!isRoot)('explains what needs root and stops, exit 3 (run as nobody)', async () => {
    const { parent, cleanup } = await makeJailParent();
    try {
      const result = await run('setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        ...[(await import('../support/root.js')).CLI, 'build', DEMO_RECIPE, '--root', path.join(parent, 'nobody')],
      ]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('building a jail needs root');
      expect(result.stderr).toContain('--dry-run');
      const dryRun = await run('setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        (await import('../support/root.js')).CLI,
        'build',
        DEMO_RECIPE,
        '--root',
        path.join(parent, 'nobody'),
        '--dry-run',
      ]);
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toMatch(/mknod\s+0666 0:0\s+\/dev\/null c 1,3/);
    } finally {
      await cleanup();
    }
  });
});
