import { createHash } from 'node:crypto';
import { chmod, chown, link, lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run } from '../support/root.js';

explainSkipUnlessRoot('the tar export tests');

const LONG_DIRECTORY = `usr/share/${'a-directory-name-of-sixty-characters-for-the-pax-path-header'.repeat(2)}/${'b'.repeat(90)}`;
const LONG_TARGET = `../../${'c'.repeat(120)}`;

/** A tree with every kind of entry a jail can hold, plus a socket that cannot be archived. */
async function makeTree(tree: string): Promise<Server> {
  await mkdir(path.join(tree, 'etc'), { recursive: true });
  await writeFile(path.join(tree, 'etc/passwd'), 'www-data:x:33:33::/var/www:/usr/sbin/nologin\n');
  await mkdir(path.join(tree, 'var/log/app'), { recursive: true });
  await chown(path.join(tree, 'var/log/app'), 33, 33);
  await chmod(path.join(tree, 'var/log/app'), 0o750);
  await writeFile(path.join(tree, 'var/log/app/log'), 'line\n');
  await chown(path.join(tree, 'var/log/app/log'), 33, 4);
  await chmod(path.join(tree, 'var/log/app/log'), 0o640);
  await mkdir(path.join(tree, 'tmp'));
  await chmod(path.join(tree, 'tmp'), 0o1777);
  await mkdir(path.join(tree, 'usr/bin'), { recursive: true });
  await writeFile(path.join(tree, 'usr/bin/tool'), '#!/bin/sh\n');
  await chmod(path.join(tree, 'usr/bin/tool'), 0o4755);
  await link(path.join(tree, 'usr/bin/tool'), path.join(tree, 'usr/bin/tool-again'));
  await symlink('usr/bin', path.join(tree, 'bin'));
  await mkdir(path.join(tree, 'dev'));
  expect((await run('mknod', ['-m', '0666', path.join(tree, 'dev/null'), 'c', '1', '3'])).code).toBe(0);
  expect((await run('mkfifo', ['-m', '0600', path.join(tree, 'dev/fifo')])).code).toBe(0);
  await mkdir(path.join(tree, LONG_DIRECTORY), { recursive: true });
  await writeFile(path.join(tree, LONG_DIRECTORY, 'file-with-a-long-path'), 'deep\n');
  await symlink(LONG_TARGET, path.join(tree, 'usr/share/long-link'));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path.join(tree, 'dev/log'), resolve));
  return server; // closing it removes the socket file
}

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

describe.skipIf(!isRoot)('export --format tar', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let tree: string;
  let socket: Server;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    tree = path.join(parent, 'tree');
    socket = await makeTree(tree);
  });
  afterAll(async () => {
    socket.close();
    await cleanup();
  });

  it('is byte-identical across exports, and says what it left out', async () => {
    const first = await jailwright('export', tree, '--format', 'tar', '--out', path.join(parent, 'one.tar'), '--json');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    // The tree changes in ways an archive must not show: atimes by reading, ctimes and mtimes by touching.
    await run('touch', [path.join(tree, 'etc/passwd'), path.join(tree, 'tmp')]);
    const second = await jailwright('export', tree, '--format', 'tar', '--out', path.join(parent, 'two.tar'));
    expect(second.code).toBe(0);
    const outcome = JSON.parse(first.stdout) as { sha256: string; skipped: { path: string }[] };
    expect(await sha256(path.join(parent, 'one.tar'))).toBe(outcome.sha256);
    expect(await sha256(path.join(parent, 'two.tar'))).toBe(outcome.sha256);
    expect(outcome.skipped.map((entry) => entry.path)).toEqual(['/dev/log']);
  });

  it('lists entries in byte order, all with one mtime and numeric owners, and no atime/ctime', async () => {
    const file = path.join(parent, 'epoch.tar');
    const exported = (await run(process.execPath, [CLI, 'export', tree, '--format', 'tar', '--out', file], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } })).code;
    expect(exported).toBe(0);
    const listing = await run('tar', ['--list', '--verbose', '--full-time', '--numeric-owner', '--file', file]);
    expect(listing.code).toBe(0);
    const lines = listing.stdout.trimEnd().split('\n');
    const names = (await run('tar', ['--list', '--file', file])).stdout.trimEnd().split('\n');
    expect(names).toEqual([...names].sort((left, right) => Buffer.compare(Buffer.from(left), Buffer.from(right))));
    expect(names).toContain(`${LONG_DIRECTORY}/file-with-a-long-path`);
    for (const line of lines) expect(line).toContain('2023-11-14 22:13:20');
    expect(lines.find((line) => line.endsWith(' var/log/app/log'))).toMatch(/^-rw-r----- 33\/4 /);
    expect(lines.find((line) => line.includes(' usr/bin/tool-again'))).toMatch(/^hrwsr-xr-x .* usr\/bin\/tool-again link to usr\/bin\/tool$/);
    expect(lines.find((line) => line.includes(' dev/null'))).toMatch(/^crw-rw-rw- 0\/0 +1,3 /);
    const raw = await readFile(file, 'latin1');
    expect(raw).not.toMatch(/atime|ctime|mtime=/);
    expect(raw).toContain(`linkpath=${LONG_TARGET}`);
  });

  it('unpacks (GNU tar) into the same tree: types, modes incl. setuid and sticky, owners, links, devices, content', async () => {
    const unpacked = path.join(parent, 'unpacked');
    await mkdir(unpacked);
    const extract = await run('tar', ['--extract', '--same-permissions', '--same-owner', '--numeric-owner', '--file', path.join(parent, 'one.tar'), '--directory', unpacked]);
    expect(extract.stderr).toBe('');
    const paths = ['etc/passwd', 'var/log/app', 'var/log/app/log', 'tmp', 'usr/bin/tool', 'usr/bin/tool-again', 'bin', 'dev/null', 'dev/fifo', `${LONG_DIRECTORY}/file-with-a-long-path`, 'usr/share/long-link'];
    for (const relative of paths) {
      const [before, after] = await Promise.all([lstat(path.join(tree, relative)), lstat(path.join(unpacked, relative))]);
      expect({ relative, mode: after.mode, uid: after.uid, gid: after.gid, rdev: after.rdev, size: after.size }).toEqual({
        relative,
        mode: before.mode,
        uid: before.uid,
        gid: before.gid,
        rdev: before.rdev,
        size: before.size,
      });
    }
    expect((await lstat(path.join(unpacked, 'usr/bin/tool'))).ino).toBe((await lstat(path.join(unpacked, 'usr/bin/tool-again'))).ino);
    expect(await readlink(path.join(unpacked, 'usr/share/long-link'))).toBe(LONG_TARGET);
    expect(await readFile(path.join(unpacked, LONG_DIRECTORY, 'file-with-a-long-path'), 'utf8')).toBe('deep\n');
  });

  it('refuses what it cannot do, with the usual exit codes', async () => {
    const unknownFormat = await jailwright('export', tree, '--format', 'zip', '--out', path.join(parent, 'x.zip'));
    expect(unknownFormat.code).toBe(2);
    expect(unknownFormat.stderr).toMatch(/Allowed choices are tar, oci, systemd, sysv/);
    const noRecipe = await jailwright('export', tree, '--format', 'systemd', '--out', path.join(parent, 'x.service'));
    expect(noRecipe.code).toBe(2);
    expect(noRecipe.stderr).toContain('no recipe is known for');
    const noDirectory = await jailwright('export', tree, '--format', 'tar', '--out', path.join(parent, 'missing/x.tar'));
    expect(noDirectory.code).toBe(2);
    expect(noDirectory.stderr).toContain('is not a directory');
  });
});
