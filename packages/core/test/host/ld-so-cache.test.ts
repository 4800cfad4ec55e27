/** ld.so.cache parsing: the host cache against `ldconfig -p`, crafted caches for the formats the host lacks. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadLdCache, LdCacheIndex, parseLdCache } from '../../src/host/ld-so-cache.js';

/** Builds a new-format cache (optionally behind an old-format prefix) with a glibc-hwcaps extension. */
function craftCache(entries: Array<{ key: string; path: string; flags: number; hwcapsIndex?: number }>, subdirs: string[], oldPrefix: boolean): Buffer {
  const prefixLen = oldPrefix ? (16 + 12 + 7) & ~7 : 0;
  const strings: string[] = [];
  const stringBase = 48 + entries.length * 24;
  const offsets = new Map<string, number>();
  let strLen = 0;
  const str = (s: string) => {
    if (!offsets.has(s)) {
      offsets.set(s, stringBase + strLen);
      strings.push(s);
      strLen += Buffer.byteLength(s) + 1;
    }
    return offsets.get(s) as number;
  };
  for (const e of entries) {
    str(e.key);
    str(e.path);
  }
  for (const d of subdirs) str(d);
  const extOffset = (prefixLen + stringBase + strLen + 7) & ~7;
  const total = extOffset + 8 + 16 + subdirs.length * 4;
  const b = Buffer.alloc(total);
  if (oldPrefix) {
    b.write('ld.so-1.7.0', 0, 'latin1');
    b.writeUInt32LE(1, 12);
    b.writeInt32LE(1, 16); // one old-style entry whose strings nobody reads once a new cache follows
  }
  const n = prefixLen;
  b.write('glibc-ld.so.cache1.1', n, 'latin1');
  b.writeUInt32LE(entries.length, n + 20);
  b.writeUInt32LE(strLen, n + 24);
  b[n + 28] = 2;
  b.writeUInt32LE(extOffset, n + 32);
  entries.forEach((e, i) => {
    const o = n + 48 + i * 24;
    b.writeInt32LE(e.flags, o);
    b.writeUInt32LE(str(e.key), o + 4);
    b.writeUInt32LE(str(e.path), o + 8);
    b.writeBigUInt64LE(e.hwcapsIndex === undefined ? 0n : (1n << 62n) | BigInt(e.hwcapsIndex), o + 16);
  });
  for (const s of strings) b.write(`${s}\0`, n + (offsets.get(s) as number), 'utf8');
  b.writeUInt32LE(0xeaa42174, extOffset);
  b.writeUInt32LE(1, extOffset + 4);
  b.writeUInt32LE(1, extOffset + 8); // tag: glibc-hwcaps
  b.writeUInt32LE(extOffset + 24, extOffset + 16);
  b.writeUInt32LE(subdirs.length * 4, extOffset + 20);
  subdirs.forEach((d, i) => b.writeUInt32LE(str(d), extOffset + 24 + i * 4));
  return b;
}

describe('ld.so.cache', () => {
  test('the host cache lists what ldconfig -p lists, in order', async () => {
    const cache = parseLdCache(readFileSync('/etc/ld.so.cache'));
    const text = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8', env: { LC_ALL: 'C' } });
    const want = [...text.matchAll(/^\t(\S+) \(([^)]*)\) => (\S+)$/gm)].map((m) => `${m[1]} ${m[3]}`);
    expect(cache.entries.map((e) => `${e.key} ${e.path}`)).toEqual(want);
    const index = await loadLdCache('/');
    expect(index?.lookup('libc.so.6', 64, 62)?.path).toBe('/lib/x86_64-linux-gnu/libc.so.6');
    expect(index?.lookup('libc.so.6', 64, 62)?.flags).toBe(0x0303);
    // Another machine's entries are not used for this class/machine.
    expect(index?.lookup('libc.so.6', 64, 183)).toBeUndefined();
    expect(await loadLdCache('/nonexistent-root')).toBeUndefined();
  });

  for (const oldPrefix of [false, true]) {
    test(`glibc-hwcaps entries are preferred when supported (${oldPrefix ? 'old+new' : 'new'} format)`, () => {
      const buf = craftCache(
        [
          { key: 'libx.so.1', path: '/usr/lib/glibc-hwcaps/x86-64-v3/libx.so.1', flags: 0x0303, hwcapsIndex: 1 },
          { key: 'libx.so.1', path: '/usr/lib/glibc-hwcaps/x86-64-v2/libx.so.1', flags: 0x0303, hwcapsIndex: 0 },
          { key: 'libx.so.1', path: '/usr/lib/libx.so.1', flags: 0x0303 },
          { key: 'libx.so.1', path: '/usr/lib32/libx.so.1', flags: 0x0003 },
        ],
        ['x86-64-v2', 'x86-64-v3'],
        oldPrefix,
      );
      const cache = parseLdCache(buf);
      expect(cache.format).toBe(oldPrefix ? 'old+new' : 'new');
      expect(cache.hwcapsSubdirs).toEqual(['x86-64-v2', 'x86-64-v3']);
      expect(cache.entries[0]?.hwcapsSubdir).toBe('x86-64-v3');
      const index = new LdCacheIndex(cache);
      expect(index.lookup('libx.so.1', 64, 62, ['x86-64-v4', 'x86-64-v3', 'x86-64-v2'])?.path).toBe('/usr/lib/glibc-hwcaps/x86-64-v3/libx.so.1');
      expect(index.lookup('libx.so.1', 64, 62, ['x86-64-v2'])?.path).toBe('/usr/lib/glibc-hwcaps/x86-64-v2/libx.so.1');
      expect(index.lookup('libx.so.1', 64, 62, [])?.path).toBe('/usr/lib/libx.so.1');
      expect(index.lookup('libx.so.1', 32, 3)?.path).toBe('/usr/lib32/libx.so.1');
    });
  }

  test('old format alone', () => {
    const strings = 'liby.so.2\0/lib/liby.so.2\0';
    const b = Buffer.alloc(16 + 12 + strings.length);
    b.write('ld.so-1.7.0', 0, 'latin1');
    b.writeUInt32LE(1, 12);
    b.writeInt32LE(0x0303, 16);
    b.writeUInt32LE(0, 20);
    b.writeUInt32LE(10, 24);
    b.write(strings, 28, 'latin1');
    const cache = parseLdCache(b);
    expect(cache).toMatchObject({ format: 'old', entries: [{ key: 'liby.so.2', path: '/lib/liby.so.2', flags: 0x0303 }] });
    expect(() => parseLdCache(Buffer.from('garbage'))).toThrow(/unknown magic/);
  });
});
