/** ELF reader: crafted files for the classes/byte orders this host cannot compile, gcc output for the rest. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ElfFormatError, parseElfHeader, readDynamicSymbols, readElf } from '../../src/host/elf-file.js';

let T = '';
beforeAll(() => {
  T = mkdtempSync(path.join(tmpdir(), 'jw-elf-'));
});
afterAll(() => {
  if (T) rmSync(T, { recursive: true, force: true });
});

/** A minimal ELF with PT_LOAD, PT_INTERP and PT_DYNAMIC (NEEDED×2, SONAME, RPATH, RUNPATH, FLAGS_1). */
function craftElf(elfClass: 32 | 64, le: boolean, machine: number): Buffer {
  const is64 = elfClass === 64;
  const ehSize = is64 ? 64 : 52;
  const phSize = is64 ? 56 : 32;
  const dynEnt = is64 ? 16 : 8;
  const interp = Buffer.from('/lib/ld-test.so.1\0');
  const strs = ['', 'liba.so.1', 'libb.so.2', 'libself.so.0', '$ORIGIN/../lib:/opt/x', '/run/a'];
  const strtab = Buffer.from(strs.join('\0') + '\0');
  const off = (i: number) => strs.slice(0, i).reduce((n, s) => n + s.length + 1, 0);
  const phOff = ehSize;
  const interpOff = phOff + 3 * phSize;
  const strOff = interpOff + interp.length;
  const dynOff = strOff + strtab.length + ((8 - ((strOff + strtab.length) % 8)) % 8);
  const base = 0x10000;
  const dyn: Array<[number, number]> = [
    [1, off(1)],
    [1, off(2)],
    [14, off(3)],
    [15, off(4)],
    [29, off(5)],
    [5, base + strOff],
    [10, strtab.length],
    [0x6ffffffb, 0x800],
    [0, 0],
  ];
  const total = dynOff + dyn.length * dynEnt;
  const b = Buffer.alloc(total);
  const u16 = (v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const word = (v: number, o: number) => (is64 ? (le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o)) : u32(v, o));
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = is64 ? 2 : 1;
  b[5] = le ? 1 : 2;
  b[6] = 1;
  u16(3, 16); // ET_DYN
  u16(machine, 18);
  u32(1, 20);
  word(phOff, is64 ? 32 : 28);
  u16(ehSize, is64 ? 52 : 40);
  u16(phSize, is64 ? 54 : 42);
  u16(3, is64 ? 56 : 44);
  const ph = (i: number, type: number, offset: number, size: number) => {
    const o = phOff + i * phSize;
    u32(type, o);
    if (is64) {
      word(offset, o + 8);
      word(base + offset, o + 16);
      word(size, o + 32);
      word(size, o + 40);
    } else {
      u32(offset, o + 4);
      u32(base + offset, o + 8);
      u32(size, o + 16);
      u32(size, o + 20);
    }
  };
  ph(0, 1, 0, total);
  ph(1, 3, interpOff, interp.length);
  ph(2, 2, dynOff, dyn.length * dynEnt);
  interp.copy(b, interpOff);
  strtab.copy(b, strOff);
  dyn.forEach(([tag, val], i) => {
    word(tag, dynOff + i * dynEnt);
    word(val, dynOff + i * dynEnt + dynEnt / 2);
  });
  return b;
}

describe('readElf', () => {
  for (const [elfClass, le, machine] of [
    [64, true, 62],
    [64, false, 22],
    [32, true, 3],
    [32, false, 8],
  ] as const) {
    test(`crafted ELF${elfClass} ${le ? 'LSB' : 'MSB'}`, async () => {
      const file = path.join(T, `crafted-${elfClass}-${le}`);
      writeFileSync(file, craftElf(elfClass, le, machine));
      expect(await readElf(file)).toEqual({
        path: file,
        elfClass,
        endian: le ? 'little' : 'big',
        machine,
        osAbi: 0,
        type: 'DYN',
        typeValue: 3,
        interpreter: '/lib/ld-test.so.1',
        dynamic: true,
        needed: ['liba.so.1', 'libb.so.2'],
        soname: 'libself.so.0',
        rpath: ['$ORIGIN/../lib', '/opt/x'],
        runpath: ['/run/a'],
        flags1: 0x800,
      });
    });
  }

  test('header parsing from a bare buffer', () => {
    const h = parseElfHeader(craftElf(32, false, 8).subarray(0, 52));
    expect(h).toMatchObject({ elfClass: 32, le: false, machine: 8, phoff: 52, phnum: 3 });
    expect(() => parseElfHeader(Buffer.from('\x7fELF\x02\x01', 'latin1'))).toThrow(ElfFormatError);
  });

  test('not ELF -> undefined; truncated ELF -> clear error', async () => {
    expect(await readElf('/etc/passwd')).toBeUndefined();
    const whole = craftElf(64, true, 62);
    const cut = path.join(T, 'cut');
    writeFileSync(cut, whole.subarray(0, 100));
    await expect(readElf(cut)).rejects.toThrow(/corrupt or truncated ELF file: program headers/);
    writeFileSync(cut, whole.subarray(0, 30));
    await expect(readElf(cut)).rejects.toThrow(ElfFormatError);
    writeFileSync(cut, whole.subarray(0, whole.length - 20));
    await expect(readElf(cut)).rejects.toThrow(/PT_DYNAMIC/);
  });

  test('real gcc output matches readelf', async () => {
    const elf = await readElf('/usr/bin/ls');
    const dyn = execFileSync('readelf', ['-dW', '/usr/bin/ls'], { encoding: 'utf8' });
    const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1]);
    expect(elf).toMatchObject({ elfClass: 64, endian: 'little', machine: 62, type: 'DYN', interpreter: '/lib64/ld-linux-x86-64.so.2', needed });
    expect((await readElf('/usr/lib/x86_64-linux-gnu/libc.so.6'))?.soname).toBe('libc.so.6');
  });
});

describe('readDynamicSymbols', () => {
  test('defined and undefined symbols with versions, as readelf shows them', async () => {
    writeFileSync(path.join(T, 'v.map'), 'FOO_1.0 { global: foo; local: *; };\nFOO_2.0 { global: bar; } FOO_1.0;\n');
    writeFileSync(path.join(T, 'v.c'), '#include <stdio.h>\nint foo(void){return puts("x");}\nint bar(void){return 2;}\n');
    const so = path.join(T, 'libv.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-o', so, path.join(T, 'v.c'), `-Wl,--version-script=${path.join(T, 'v.map')}`], { stdio: 'pipe' });
    const syms = await readDynamicSymbols(so);
    expect(syms?.find((s) => s.name === 'foo')).toMatchObject({ defined: true, version: 'FOO_1.0', kind: 'FUNC', binding: 'GLOBAL' });
    expect(syms?.find((s) => s.name === 'bar')).toMatchObject({ defined: true, version: 'FOO_2.0' });
    expect(syms?.find((s) => s.name === 'puts')).toMatchObject({ defined: false, version: 'GLIBC_2.2.5', versionFile: 'libc.so.6' });

    // Whole-table check against readelf on a big real library.
    const libc = '/usr/lib/x86_64-linux-gnu/libc.so.6';
    const text = execFileSync('readelf', ['--dyn-syms', '-W', libc], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const want = text
      .split('\n')
      .map((l) => /^\s*\d+: [0-9a-f]+\s+\d+\s+\w+\s+\w+\s+\w+\s+(\w+)\s+(\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[2] !== '')
      .map((m) => `${m[2]}|${m[1] === 'UND' ? 'U' : 'D'}`);
    // readelf omits the version of a version's own marker symbol (name === version).
    const ours = ((await readDynamicSymbols(libc)) ?? []).map(
      (s) => `${s.name}${s.version && s.version !== s.name ? (s.hidden || !s.defined ? '@' : '@@') + s.version : ''}|${s.defined ? 'D' : 'U'}`,
    );
    // readelf prints references as `name@VER (n)`; the regex keeps only `name@VER`. Entry 0 has no name in either.
    expect(ours.length).toBeGreaterThan(2000);
    expect(ours).toEqual(want);
  });
});
