/**
 * Search-order rules on small gcc-built fixtures, each cross-checked against ldd so the expectations
 * are glibc's behaviour, not our reading of it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readElf } from '../../src/host/elf-file.js';
import { createLibraryResolver, expandDst, isElf, resolveLibraries } from '../../src/host/library-resolver.js';
import type { RootClosure } from '../../src/host/library-resolver.js';
import { asLdd, runLdd } from './ldd-oracle.js';

let T = '';

function gcc(args: string[]): void {
  execFileSync('gcc', args, { cwd: T, stdio: 'pipe' });
}

/** Builds a shared library `lib<name>.so` in `dir` whose function calls `calls`' functions. */
function lib(dir: string, name: string, opts: { calls?: string[]; link?: string[]; soname?: boolean } = {}): string {
  mkdirSync(path.join(T, dir), { recursive: true });
  const calls = opts.calls ?? [];
  const src = path.join(T, `${name}.c`);
  writeFileSync(src, `${calls.map((c) => `int ${c}(void);`).join('\n')}\nint ${name}(void){return 0${calls.map((c) => `+${c}()`).join('')};}\n`);
  const out = path.join(T, dir, `lib${name}.so`);
  gcc(['-shared', '-fPIC', '-o', out, src, ...(opts.soname === false ? [] : [`-Wl,-soname,lib${name}.so`]), ...(opts.link ?? [])]);
  return out;
}

function app(name: string, calls: string[], link: string[]): string {
  mkdirSync(path.join(T, 'bin'), { recursive: true });
  const src = path.join(T, `${name}.c`);
  writeFileSync(src, `${calls.map((c) => `int ${c}(void);`).join('\n')}\nint main(void){return 0${calls.map((c) => `+${c}()`).join('')};}\n`);
  const out = path.join(T, 'bin', name);
  gcc(['-o', out, src, ...link]);
  return out;
}

async function resolveAndCheck(file: string): Promise<RootClosure> {
  const closure = await createLibraryResolver().resolveOne(file);
  expect(closure).toBeDefined();
  const want = await runLdd(file);
  expect(asLdd(closure as RootClosure)).toEqual(want);
  return closure as RootClosure;
}

const byName = (c: RootClosure, soname: string) => c.libraries.find((l) => l.soname === soname);

beforeAll(() => {
  T = mkdtempSync(path.join(tmpdir(), 'jw-resolver-'));
  lib('lib', 'leaf');
  lib('rp', 'leaf2');
  lib('rp', 'mid', { calls: ['leaf2'], link: [`-L${T}/rp`, '-lleaf2'] });
  lib('rq', 'midrun', { calls: ['leaf2'], link: [`-L${T}/rp`, '-lleaf2', '-Wl,--enable-new-dtags', `-Wl,-rpath,${T}/rq`] });
});

afterAll(() => {
  if (T) rmSync(T, { recursive: true, force: true });
});

describe('library resolver on gcc fixtures (cross-checked with ldd)', () => {
  test('DT_RUNPATH=$ORIGIN/../lib is expanded from the object directory and reported as such', async () => {
    const file = app('runpath', ['leaf'], [`-L${T}/lib`, '-lleaf', '-Wl,--enable-new-dtags', '-Wl,-rpath,$ORIGIN/../lib']);
    expect((await readElf(file))?.runpath).toEqual(['$ORIGIN/../lib']);
    const c = await resolveAndCheck(file);
    expect(byName(c, 'libleaf.so')).toMatchObject({ path: `${T}/bin/../lib/libleaf.so`, via: 'runpath', viaOrigin: true, neededBy: file });
    expect(c.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
  });

  test('DT_RPATH is used, and inherited by the dependencies of the dependencies', async () => {
    const file = app('rpath', ['mid'], [`-L${T}/rp`, '-lmid', '-Wl,--disable-new-dtags', `-Wl,-rpath,${T}/rp`]);
    expect((await readElf(file))?.rpath).toEqual([`${T}/rp`]);
    const c = await resolveAndCheck(file);
    expect(byName(c, 'libmid.so')).toMatchObject({ path: `${T}/rp/libmid.so`, via: 'rpath' });
    // libmid has no search path of its own: the loader's DT_RPATH applies to what libmid needs.
    expect(byName(c, 'libleaf2.so')).toMatchObject({ path: `${T}/rp/libleaf2.so`, via: 'rpath', neededBy: `${T}/rp/libmid.so` });
  });

  test('DT_RUNPATH is not inherited by indirect dependencies', async () => {
    const file = app('runpath-indirect', ['mid'], [`-L${T}/rp`, '-lmid', '-Wl,--enable-new-dtags', `-Wl,-rpath,${T}/rp`]);
    const c = await resolveAndCheck(file);
    expect(byName(c, 'libmid.so')).toMatchObject({ via: 'runpath' });
    expect(c.missing).toEqual([{ soname: 'libleaf2.so', neededBy: `${T}/rp/libmid.so` }]);
  });

  test("a loader's DT_RPATH is ignored for an object that has DT_RUNPATH", async () => {
    // libmidrun has RUNPATH=rq, which does not hold libleaf2; the executable's RPATH (rp) would find it.
    const file = app('rpath-vs-runpath', ['midrun'], [`-L${T}/rq`, '-lmidrun', '-Wl,--disable-new-dtags', `-Wl,-rpath,${T}/rp:${T}/rq`]);
    const c = await resolveAndCheck(file);
    expect(byName(c, 'libmidrun.so')).toMatchObject({ via: 'rpath', path: `${T}/rq/libmidrun.so` });
    expect(c.missing).toEqual([{ soname: 'libleaf2.so', neededBy: `${T}/rq/libmidrun.so` }]);
  });

  test("an object's own DT_RPATH is ignored when it also has DT_RUNPATH", async () => {
    // ld cannot emit both tags any more, so turn the executable's DT_DEBUG into a DT_RUNPATH pointing at
    // the second element of its RPATH string: RPATH=[rp, rq], RUNPATH=[rq]; libleaf2 lives only in rp.
    const file = app('both-tags', ['leaf2'], [`-L${T}/rp`, '-lleaf2', '-Wl,--disable-new-dtags', `-Wl,-rpath,${T}/rp:${T}/rq`]);
    addRunpathFromRpathSuffix(file, `${T}/rp:`.length);
    const elf = await readElf(file);
    expect(elf?.rpath).toEqual([`${T}/rp`, `${T}/rq`]);
    expect(elf?.runpath).toEqual([`${T}/rq`]);
    const c = await resolveAndCheck(file);
    expect(c.missing).toEqual([{ soname: 'libleaf2.so', neededBy: file }]);
  });

  test('a missing library is reported, not thrown', async () => {
    lib('gone', 'gone');
    const file = app('missing', ['gone', 'leaf'], [`-L${T}/gone`, '-lgone', `-L${T}/lib`, '-lleaf', '-Wl,--enable-new-dtags', `-Wl,-rpath,${T}/lib`]);
    const c = await resolveAndCheck(file);
    expect(c.missing).toEqual([{ soname: 'libgone.so', neededBy: file }]);
    expect(byName(c, 'libleaf.so')?.via).toBe('runpath');
    const merged = await resolveLibraries([file, '/usr/bin/ls']);
    expect(merged.missing).toEqual([{ soname: 'libgone.so', neededBy: file }]);
    expect(merged.libraries.map((l) => l.soname)).toContain('libselinux.so.1');
    expect(merged.interpreters).toEqual(['/lib64/ld-linux-x86-64.so.2']);
  });

  test('a DT_NEEDED with a slash is a path, and $LIB/$PLATFORM expand like ld.so does here', async () => {
    const noSoname = lib('plain', 'plain', { soname: false });
    lib('lib/x86_64-linux-gnu', 'multi');
    const file = app('slash', ['plain', 'multi'], [noSoname, `-L${T}/lib/x86_64-linux-gnu`, '-lmulti', '-Wl,--enable-new-dtags', '-Wl,-rpath,$ORIGIN/../$LIB:$ORIGIN/../${PLATFORM}']);
    expect((await readElf(file))?.needed).toContain(noSoname);
    const c = await resolveAndCheck(file);
    expect(byName(c, noSoname)).toMatchObject({ path: noSoname, via: 'path' });
    // Debian's ld.so expands $LIB to lib/x86_64-linux-gnu (its slibdir), not lib64.
    expect(byName(c, 'libmulti.so')).toMatchObject({ via: 'runpath', viaOrigin: true });
  });

  test('a candidate for another machine is skipped and the search goes on', async () => {
    mkdirSync(path.join(T, 'wrong'), { recursive: true });
    const bytes = readFileSync(path.join(T, 'lib/libleaf.so'));
    bytes.writeUInt16LE(183, 18); // e_machine = aarch64
    writeFileSync(path.join(T, 'wrong/libleaf.so'), bytes);
    const file = app('skip-wrong', ['leaf'], [`-L${T}/lib`, '-lleaf', '-Wl,--enable-new-dtags', `-Wl,-rpath,${T}/wrong:${T}/lib`]);
    const c = await resolveAndCheck(file);
    expect(byName(c, 'libleaf.so')?.path).toBe(`${T}/lib/libleaf.so`);
  });

  test('ld.so.cache and default directories, and the loader matched by soname', async () => {
    const c = await resolveAndCheck('/usr/bin/ls');
    expect(byName(c, 'libc.so.6')).toMatchObject({ path: '/lib/x86_64-linux-gnu/libc.so.6', via: 'ld.so.cache' });
    expect(c.interpreterReferenced).toBe(true);
    // Without a cache (a fixture root with no etc/ld.so.cache) the SYSTEM_DIRS are searched instead.
    const root = path.join(T, 'root');
    mkdirSync(path.join(root, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    lib('root/usr/lib/x86_64-linux-gnu', 'sys');
    writeFileSync(path.join(T, 'sysapp.c'), 'int sys(void); int main(void){return sys();}\n');
    gcc(['-o', path.join(root, 'bin/app'), path.join(T, 'sysapp.c'), `-L${root}/usr/lib/x86_64-linux-gnu`, '-lsys']);
    const r = await resolveLibraries(['/bin/app'], { root, profile: { systemDirs: ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib', '/usr/lib'] } });
    expect(r.roots[0]?.libraries.find((l) => l.soname === 'libsys.so')).toMatchObject({ path: '/usr/lib/x86_64-linux-gnu/libsys.so', via: 'default-dirs' });
    expect(r.missing.map((m) => m.soname)).toEqual(['libc.so.6']);
  });

  test('isElf and non-ELF inputs', async () => {
    expect(await isElf('/usr/bin/ls')).toBe(true);
    expect(await isElf('/etc/passwd')).toBe(false);
    expect(await isElf('/nonexistent')).toBe(false);
    expect((await resolveLibraries(['/etc/passwd'])).notElf).toEqual(['/etc/passwd']);
  });

  test('DST expansion follows is_dst: braces, and no match inside a longer identifier', () => {
    const p = { lib: 'lib64', platform: 'x86_64' };
    expect(expandDst('$ORIGIN/../lib', '/a/b', p)).toEqual({ value: '/a/b/../lib', viaOrigin: true });
    expect(expandDst('${ORIGIN}x/$LIB/$PLATFORM', '/o', p)).toEqual({ value: '/ox/lib64/x86_64', viaOrigin: true });
    expect(expandDst('$ORIGINAL/$LIBS', '/o', p)).toEqual({ value: '$ORIGINAL/$LIBS', viaOrigin: false });
  });
});

/** Rewrites DT_DEBUG into DT_RUNPATH = DT_RPATH's string + `skip` bytes (a suffix of the RPATH string). */
function addRunpathFromRpathSuffix(file: string, skip: number): void {
  const b = readFileSync(file);
  const phoff = Number(b.readBigUInt64LE(32));
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * 56;
    if (b.readUInt32LE(o) !== 2) continue;
    const off = Number(b.readBigUInt64LE(o + 8));
    const size = Number(b.readBigUInt64LE(o + 32));
    let rpath: bigint | undefined;
    let debugAt: number | undefined;
    for (let e = off; e < off + size; e += 16) {
      const tag = b.readBigUInt64LE(e);
      if (tag === 15n) rpath = b.readBigUInt64LE(e + 8);
      if (tag === 21n) debugAt = e;
    }
    if (rpath === undefined || debugAt === undefined) throw new Error('fixture lacks DT_RPATH or DT_DEBUG');
    b.writeBigUInt64LE(29n, debugAt);
    b.writeBigUInt64LE(rpath + BigInt(skip), debugAt + 8);
    writeFileSync(file, b);
    return;
  }
  throw new Error('no PT_DYNAMIC');
}
