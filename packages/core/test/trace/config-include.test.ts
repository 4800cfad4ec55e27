import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchGlob } from '../../src/trace/learn-loop.js';

describe('matchGlob: the files a config include names, inside a jail', () => {
  let jail: string;
  beforeAll(async () => {
    jail = await mkdtemp(path.join(os.tmpdir(), 'jailwright-include-'));
    await mkdir(path.join(jail, 'etc/apache2/mods-enabled'), { recursive: true });
    await mkdir(path.join(jail, 'etc/apache2/mods-available'));
    await mkdir(path.join(jail, 'etc/apache2/conf.d'));
    for (const name of ['mime.load', 'dir.load', 'mime.conf', '.hidden.load']) await writeFile(path.join(jail, 'etc/apache2/mods-available', name), 'x\n');
    for (const name of ['mime.load', 'dir.load', 'mime.conf', '.hidden.load']) await symlink(`../mods-available/${name}`, path.join(jail, 'etc/apache2/mods-enabled', name));
    await writeFile(path.join(jail, 'etc/apache2/conf.d/a.conf'), 'x\n');
    await symlink('/etc/passwd', path.join(jail, 'etc/apache2/conf.d/outside'));
  });
  afterAll(async () => {
    await rm(jail, { recursive: true, force: true });
  });

  it('expands a glob in the last part, sorted, without dot files', () => {
    expect(matchGlob('/etc/apache2/mods-enabled/*.load', jail)).toEqual(['/etc/apache2/mods-enabled/dir.load', '/etc/apache2/mods-enabled/mime.load']);
    expect(matchGlob('/etc/apache2/mods-enabled/mim?.*', jail)).toEqual(['/etc/apache2/mods-enabled/mime.conf', '/etc/apache2/mods-enabled/mime.load']);
  });

  it('takes a directory as all its files and a plain path as itself', () => {
    expect(matchGlob('/etc/apache2/conf.d', jail)).toEqual(['/etc/apache2/conf.d/a.conf', '/etc/apache2/conf.d/outside']);
    expect(matchGlob('/etc/apache2/ports.conf', jail)).toEqual(['/etc/apache2/ports.conf']);
    expect(matchGlob('/etc/apache2/nowhere/*.conf', jail)).toEqual([]);
  });
});
