/** ld.so.conf: includes with globs relative to the including file, comments, hwcap lines. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readLdSoConf } from '../../src/host/ld-so-conf.js';

const T = mkdtempSync(path.join(tmpdir(), 'jw-ldconf-'));
afterAll(() => rmSync(T, { recursive: true, force: true }));

test('fixture tree: order, includes (absolute and relative globs), comments, hwcap ignored', async () => {
  mkdirSync(path.join(T, 'etc/ld.so.conf.d'), { recursive: true });
  writeFileSync(path.join(T, 'etc/ld.so.conf'), '# top\n/opt/first/\ninclude /etc/ld.so.conf.d/*.conf\nhwcap 1 nosegneg\ninclude extra.conf\n/opt/last # trailing comment\n');
  writeFileSync(path.join(T, 'etc/ld.so.conf.d/b.conf'), '/b/lib:/b/lib2\n');
  writeFileSync(path.join(T, 'etc/ld.so.conf.d/a.conf'), '  # indented comment\n/a/lib\n\n/opt/first\n');
  writeFileSync(path.join(T, 'etc/ld.so.conf.d/.hidden.conf'), '/hidden\n');
  writeFileSync(path.join(T, 'etc/ld.so.conf.d/c.txt'), '/not-conf\n');
  writeFileSync(path.join(T, 'etc/extra.conf'), '/extra\ninclude ld.so.conf\n');
  expect(await readLdSoConf('/etc/ld.so.conf', { root: T })).toEqual(['/opt/first', '/a/lib', '/b/lib', '/b/lib2', '/extra', '/opt/last']);
});

test('host: the multiarch directories Debian configures', async () => {
  const dirs = await readLdSoConf();
  expect(dirs).toContain('/lib/x86_64-linux-gnu');
  expect(dirs).toContain('/usr/lib/x86_64-linux-gnu');
  expect(dirs.indexOf('/usr/local/lib')).toBeLessThan(dirs.indexOf('/lib/x86_64-linux-gnu'));
});
