import { lstat, readdir, readFile, readlink, realpath, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithManifest, readManifest } from '../../src/index.js';
import { DEMO_RECIPE, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the demo jail build tests');

describe.skipIf(!isRoot)('jailwright build: the minimal recipe, for real', () => {
  let parent: string;
  let root: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    root = path.join(parent, 'demo');
    const built = await jailwright('build', DEMO_RECIPE, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/built demo in .*generation-000001/);
  });
  afterAll(async () => cleanup?.());

  it('runs id inside the jail and reads nobody from the jail passwd', async () => {
    const result = await run('chroot', [root, '/usr/bin/id', 'nobody']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)');
  });

  it('answers getent hosts through NSS inside the jail', async () => {
    const result = await run('chroot', [root, '/usr/bin/getent', 'hosts', 'localhost']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^(127\.0\.0\.1|::1)\s+localhost/m);
  });

  it('lists only the jail from inside it', async () => {
    const result = await run('chroot', [root, '/usr/bin/ls', '-1', '/']);
    expect(result.code).toBe(0);
    const inside = result.stdout.trim().split('\n').sort();
    expect(inside).toEqual((await readdir(root)).sort());
    expect(inside).not.toContain('home');
    expect(inside).not.toContain('proc');
  });

  it('writes only the named users and groups, without password hashes, and never a shadow file', async () => {
    expect(await readFile(path.join(root, 'etc/passwd'), 'utf8')).toBe('nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    expect(await readFile(path.join(root, 'etc/group'), 'utf8')).toBe('nogroup:x:65534:\n');
    await expect(lstat(path.join(root, 'etc/shadow'))).rejects.toThrow(/ENOENT/);
  });

  it('derives the base preset from the host: devices, loader, libc, NSS, time zone, tmp dirs', async () => {
    for (const name of ['null', 'zero', 'random', 'urandom']) {
      const [jail, host] = await Promise.all([stat(path.join(root, 'dev', name)), stat(`/dev/${name}`)]);
      expect(jail.isCharacterDevice(), name).toBe(true);
      expect(jail.rdev, name).toBe(host.rdev);
      expect(jail.mode & 0o7777, name).toBe(host.mode & 0o7777);
    }
    const rootInfo = await stat(root);
    expect([rootInfo.uid, rootInfo.gid, rootInfo.mode & 0o7777]).toEqual([0, 0, 0o755]);
    expect((await stat(path.join(root, 'tmp'))).mode & 0o7777).toBe(0o1777);
    expect((await stat(path.join(root, 'var/tmp'))).mode & 0o7777).toBe(0o1777);
    // The host layout is kept as links: /lib -> usr/lib, and the loader under /lib64.
    expect(await readlink(path.join(root, 'lib'))).toBe(await readlink('/lib'));
    expect((await stat(path.join(root, 'lib64/ld-linux-x86-64.so.2'))).isFile()).toBe(true);
    expect((await stat(path.join(root, 'lib/x86_64-linux-gnu/libc.so.6'))).isFile()).toBe(true);
    const nsswitch = await readFile(path.join(root, 'etc/nsswitch.conf'), 'utf8');
    expect(nsswitch).toMatch(/^hosts:\s+files dns$/m);
    expect(nsswitch).not.toMatch(/systemd|nis|\bdb\b/);
    for (const file of ['hosts', 'services', 'protocols']) {
      expect(await readFile(path.join(root, 'etc', file), 'utf8')).toBe(await readFile(`/etc/${file}`, 'utf8'));
    }
  });

  it('rewrites absolute symlinks so they resolve inside the jail even when opened from the host', async () => {
    expect(await readlink(path.join(root, 'var/run'))).toBe('../run');
    const localtime = await readlink(path.join(root, 'etc/localtime'));
    expect(localtime.startsWith('/')).toBe(false);
    const resolved = await realpath(path.join(root, 'etc/localtime'));
    expect(resolved.startsWith(await realpath(root))).toBe(true);
    expect(await readFile(resolved)).toEqual(await readFile('/etc/localtime'));
  });

  it('keeps mode, owner and mtime of copied files', async () => {
    const [jail, host] = await Promise.all([stat(path.join(root, 'usr/bin/id')), stat('/usr/bin/id')]);
    expect(jail.mode).toBe(host.mode);
    expect([jail.uid, jail.gid]).toEqual([host.uid, host.gid]);
    expect(Math.floor(jail.mtimeMs)).toBe(Math.floor(host.mtimeMs));
    expect(jail.ino).not.toBe(host.ino);
  });

  it('keeps a manifest of every path outside the jail, which matches the jail', async () => {
    const target = await readlink(root);
    const generation = path.basename(target);
    const manifestFile = path.join(parent, '.demo.jailwright', `${generation}.manifest.json`);
    expect(manifestFile.startsWith(`${await realpath(root)}/`)).toBe(false);
    const manifest = await readManifest(manifestFile);
    expect(manifest?.entries.some((entry) => entry.path === '/usr/bin/id' && entry.sha256?.length === 64 && entry.source?.path === '/usr/bin/id')).toBe(true);
    expect(await compareWithManifest(await realpath(root), manifest!)).toEqual([]);
  });

  it('changes nothing on a second build of the unchanged recipe, and says so', async () => {
    const before = await readlink(root);
    const again = await jailwright('build', DEMO_RECIPE, '--root', root, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).result.changed).toBe(false);
    expect(await readlink(root)).toBe(before);
    const text = await jailwright('build', DEMO_RECIPE, '--root', root);
    expect(text.stdout).toMatch(/up to date: nothing changed/);
  });

  it('rebuilds when a jail file was tampered with', async () => {
    const generationBefore = await readlink(root);
    await import('node:fs/promises').then((fs) => fs.chmod(path.join(root, 'usr/bin/ls'), 0o4755));
    const rebuilt = await jailwright('build', DEMO_RECIPE, '--root', root, '--json');
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.stdout).result.changed).toBe(true);
    expect(await readlink(root)).not.toBe(generationBefore);
    expect((await stat(path.join(root, 'usr/bin/ls'))).mode & 0o7777).toBe(0o755);
    // The old generation is gone; only the current one remains in the state directory.
    const state = await readdir(path.join(parent, '.demo.jailwright'));
    expect(state.filter((name) => name.startsWith('generation-')).sort()).toEqual([
      path.basename(await readlink(root)),
      `${path.basename(await readlink(root))}.manifest.json`,
    ]);
  });
});

describe.skipIf(!isRoot)('jailwright build: copying rules', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ parent, cleanup } = await makeJailParent()));
  afterAll(async () => cleanup?.());

  it('strips setuid bits unless the recipe keeps them with a reason', async () => {
    const recipe = await writeRecipe(
      parent,
      'setuid',
      `specVersion: 1
name: setuid
jail:
  files:
    - /usr/bin/passwd
    - { path: /usr/bin/su, keepSetuid: true, reason: "test: the audit must flag it" }
`,
    );
    const root = path.join(parent, 'setuid');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/\/usr\/bin\/passwd: setuid\/setgid bits stripped/);
    expect((await stat('/usr/bin/passwd')).mode & 0o4000).toBe(0o4000);
    expect((await stat(path.join(root, 'usr/bin/passwd'))).mode & 0o7777).toBe(0o755);
    expect((await stat(path.join(root, 'usr/bin/su'))).mode & 0o7777).toBe(0o4755);
    // The build's audit flags the kept bit, allowed with the recipe's own reason.
    expect(built.stdout).toMatch(/setuid-file[\s\S]*\/usr\/bin\/su[\s\S]*kept by the recipe \(keepSetuid\): test: the audit must flag it/);
    const audit = JSON.parse((await jailwright('audit', root, '--json', '--recipe', recipe)).stdout);
    expect(audit.findings.filter((finding: { check: string }) => finding.check === 'setuid-file').map((finding: { path: string }) => finding.path)).toEqual(['/usr/bin/su']);
  });

  it('a build whose jail the audit finds unsafe still swaps it in, and exits 1 saying why', async () => {
    const recipe = await writeRecipe(parent, 'unsafe', 'specVersion: 1\nname: unsafe\njail:\n  files: [/usr/bin/id, /bin/sh]\n  write:\n    - { path: /etc/ld.so.preload, content: "", mode: "0666" }\n');
    const root = path.join(parent, 'unsafe');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.code).toBe(1);
    expect(built.stdout).toMatch(/CRITICAL[\s\S]*\/etc\/ld\.so\.preload/);
    expect(built.stdout).toMatch(/MEDIUM[\s\S]*shell/);
    expect((await jailwright('build', recipe, '--root', path.join(parent, 'unsafe-quiet'), '--no-audit')).code).toBe(0);
  });

  it('hard-links instead of copying when asked and on the same filesystem', async () => {
    const recipe = await writeRecipe(parent, 'linked', 'specVersion: 1\nname: linked\njail:\n  files: [/usr/bin/id]\n  link: hard\n');
    const root = path.join(parent, 'linked');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.code).toBe(0);
    const [jail, host] = await Promise.all([stat(path.join(root, 'usr/bin/id')), stat('/usr/bin/id')]);
    if (jail.dev === host.dev) expect(jail.ino).toBe(host.ino);
    else expect(jail.ino).not.toBe(host.ino);
    expect((await run('chroot', [root, '/usr/bin/id', '-u'])).stdout.trim()).toBe('0');
    // Linking and unlinking generations moves the shared inode's ctime; that alone is no reason to rebuild.
    expect((await jailwright('build', recipe, '--root', root, '--force')).code).toBe(0);
    expect(JSON.parse((await jailwright('build', recipe, '--root', root, '--json')).stdout).result.changed).toBe(false);
  });

  it('places a renamed file, a directory with mode and owner, a generated file and a link', async () => {
    const recipe = await writeRecipe(
      parent,
      'shapes',
      `specVersion: 1
name: shapes
jail:
  include: [base]
  files:
    - { path: /etc/hostname, to: /etc/jail-hostname, mode: "0600" }
  directories:
    - { path: /var/run/shapes, owner: nobody, mode: "0750" }
  write:
    - { path: /etc/shapes.conf, content: "listen 127.0.0.1\\n" }
  symlinks:
    - { path: /etc/shapes.link, target: shapes.conf }
  users: [nobody]
`,
    );
    const root = path.join(parent, 'shapes');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    const renamed = await stat(path.join(root, 'etc/jail-hostname'));
    expect(renamed.mode & 0o7777).toBe(0o600);
    // /var/run is a link to ../run in the jail, so the directory lands in /run.
    const directory = await lstat(path.join(root, 'run/shapes'));
    expect([directory.isDirectory(), directory.uid, directory.mode & 0o7777]).toEqual([true, 65534, 0o750]);
    expect(await readFile(path.join(root, 'etc/shapes.link'), 'utf8')).toBe('listen 127.0.0.1\n');
  });

  it('notices a changed host file and a changed recipe without being told, and rebuilds', async () => {
    const source = path.join(parent, 'greeting.txt');
    await writeFile(source, 'hello\n');
    const body = `specVersion: 1\nname: fresh\njail:\n  files: [${source}]\n`;
    const recipe = await writeRecipe(parent, 'fresh', body);
    const root = path.join(parent, 'fresh');
    const build = async () => JSON.parse((await jailwright('build', recipe, '--root', root, '--json')).stdout).result;
    expect((await build()).changed).toBe(true);
    expect((await build()).changed).toBe(false);

    // Same size, new content: the stamp (ctime, mtime) moves, so the build plans again and copies it.
    await writeFile(source, 'howdy\n');
    expect((await build()).changed).toBe(true);
    expect(await readFile(path.join(root, source), 'utf8')).toBe('howdy\n');
    expect((await build()).changed).toBe(false);

    // Touched: the jail keeps host mtimes, so the new mtime is carried in.
    const touched = new Date('2030-01-01T00:00:00Z');
    await utimes(source, touched, touched);
    expect((await build()).changed).toBe(true);
    expect((await stat(path.join(root, source))).mtimeMs).toBe(touched.getTime());

    // Rewritten in place with its size and mtime put back: only its ctime shows it, and it is copied in.
    await writeFile(source, 'hiya!\n');
    await utimes(source, touched, touched);
    expect((await build()).changed).toBe(true);
    expect(await readFile(path.join(root, source), 'utf8')).toBe('hiya!\n');
    expect((await build()).changed).toBe(false);

    // A directory the plan walked through changed (a new unrelated file): planned again, found identical, kept.
    const generation = await readlink(root);
    await writeFile(path.join(parent, 'unrelated.txt'), 'x');
    expect((await build()).changed).toBe(false);
    expect(await readlink(root)).toBe(generation);

    await writeRecipe(parent, 'fresh', `${body}  write:\n    - { path: /etc/extra, content: "x" }\n`);
    expect((await build()).changed).toBe(true);
    expect(await readFile(path.join(root, 'etc/extra'), 'utf8')).toBe('x');
  });
});
