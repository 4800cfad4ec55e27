/**
 * /etc/ld.so.cache reader: the glibc loader consults this cache before its default directories,
 * so the jail's closure must be computed from the same entries, with the same preference rules.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ElfMachine } from './elf-file.js';

/** One cache entry: `key` is the soname ld.so looks up, `path` where ldconfig found it. */
export interface LdCacheEntry {
  key: string;
  path: string;
  /** Type (low byte, 3 = ELF libc6) and required arch bits (high byte, e.g. 0x0300 = x86-64). */
  flags: number;
  /** Raw hwcap word (new format only; 0 for plain entries). */
  hwcap: bigint;
  /** glibc-hwcaps subdirectory (e.g. `x86-64-v3`) when the entry lives in one. */
  hwcapsSubdir: string | undefined;
}

/** A parsed cache. */
export interface LdCache {
  format: 'new' | 'old' | 'old+new';
  entries: LdCacheEntry[];
  /** glibc-hwcaps subdirectory names from the extension section. */
  hwcapsSubdirs: string[];
  /** The ldconfig version string from the generator extension, if present. */
  generator: string | undefined;
}

/** ld.so.cache flag bits (glibc's ldconfig.h). */
export const LdCacheFlag = {
  typeMask: 0x00ff,
  elf: 0x0001,
  elfLibc5: 0x0002,
  elfLibc6: 0x0003,
  requiredMask: 0xff00,
  sparcLib64: 0x0100,
  ia64Lib64: 0x0200,
  x8664Lib64: 0x0300,
  s390Lib64: 0x0400,
  powerpcLib64: 0x0500,
  mips64LibN32: 0x0600,
  mips64LibN64: 0x0700,
  x8664LibX32: 0x0800,
  armLibHf: 0x0900,
  aarch64Lib64: 0x0a00,
  armLibSf: 0x0b00,
  riscvFloatAbiDouble: 0x1000,
  larchFloatAbiDouble: 0x1200,
} as const;

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const EXTENSION_MAGIC = 0xeaa42174;
const HWCAP_EXTENSION_HIGH = 1n << 30n; // DL_CACHE_HWCAP_EXTENSION (1 << 62) seen as the high 32 bits

/** Parses the bytes of an ld.so.cache file (either format, or the old format with a new one appended). */
export function parseLdCache(buf: Buffer, source = 'ld.so.cache'): LdCache {
  const bad = (detail: string): never => {
    throw new Error(`${source}: malformed ld.so.cache: ${detail}`);
  };
  let newStart = -1;
  let format: LdCache['format'] = 'new';
  const oldEntries: LdCacheEntry[] = [];
  if (buf.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    if (buf.length < 16) bad('old header truncated');
    const n = buf.readUInt32LE(12);
    const tableEnd = 16 + n * 12;
    if (tableEnd > buf.length) bad('old entry table truncated');
    // glibc aligns the appended new-format header to the new entry alignment (8).
    const aligned = (tableEnd + 7) & ~7;
    if (buf.length >= aligned + 48 && buf.toString('latin1', aligned, aligned + NEW_MAGIC.length) === NEW_MAGIC) {
      newStart = aligned;
      format = 'old+new';
    } else {
      format = 'old';
      // Old-format string offsets are relative to the end of the entry table.
      for (let i = 0; i < n; i++) {
        const o = 16 + i * 12;
        oldEntries.push({
          flags: buf.readInt32LE(o),
          key: cstr(buf, tableEnd + buf.readUInt32LE(o + 4), bad),
          path: cstr(buf, tableEnd + buf.readUInt32LE(o + 8), bad),
          hwcap: 0n,
          hwcapsSubdir: undefined,
        });
      }
      return { format, entries: oldEntries, hwcapsSubdirs: [], generator: undefined };
    }
  } else if (buf.toString('latin1', 0, NEW_MAGIC.length) === NEW_MAGIC) {
    newStart = 0;
  } else {
    bad('unknown magic');
  }
  if (buf.length < newStart + 48) bad('new header truncated');
  // The cache is written in the host's byte order; byte 28 records which (2 = little, 3 = big, 0 = unset).
  const endianFlag = buf[newStart + 28];
  const le = endianFlag !== 3;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const i32 = (o: number): number => (le ? buf.readInt32LE(o) : buf.readInt32BE(o));
  const u64 = (o: number): bigint => (le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const nlibs = u32(newStart + 20);
  const extOffset = u32(newStart + 32);
  if (newStart + 48 + nlibs * 24 > buf.length) bad('entry table truncated');
  // New-format string offsets are relative to the start of the new header.
  const str = (off: number): string => cstr(buf, newStart + off, bad);

  const hwcapsSubdirs: string[] = [];
  let generator: string | undefined;
  // extension_offset and section offsets count from the start of the file (cache_extension_load's file_base).
  if (extOffset !== 0 && extOffset + 8 <= buf.length && u32(extOffset) === EXTENSION_MAGIC) {
    const base = extOffset;
    const count = u32(base + 4);
    for (let i = 0; i < count && base + 8 + (i + 1) * 16 <= buf.length; i++) {
      const s = base + 8 + i * 16;
      const tag = u32(s);
      const offset = u32(s + 8);
      const size = u32(s + 12);
      if (offset + size > buf.length) bad(`extension section ${tag} out of range`);
      if (tag === 0) generator = buf.toString('utf8', offset, offset + size);
      else if (tag === 1) for (let j = 0; j + 4 <= size; j += 4) hwcapsSubdirs.push(str(u32(offset + j)));
    }
  }

  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const o = newStart + 48 + i * 24;
    const hwcap = u64(o + 16);
    const ext = hwcap >> 32n === HWCAP_EXTENSION_HIGH;
    entries.push({
      flags: i32(o),
      key: str(u32(o + 4)),
      path: str(u32(o + 8)),
      hwcap,
      hwcapsSubdir: ext ? hwcapsSubdirs[Number(hwcap & 0xffffffffn)] : undefined,
    });
  }
  return { format, entries, hwcapsSubdirs, generator };
}

function cstr(buf: Buffer, off: number, bad: (d: string) => never): string {
  if (off < 0 || off >= buf.length) bad(`string offset ${off} out of range`);
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end < 0 ? buf.length : end);
}

/**
 * The cache flags ld.so accepts for objects of a given class/machine (glibc's _dl_cache_check_flags);
 * `undefined` for machines we have no table for, in which case any ELF libc6 entry is accepted.
 */
export function cacheFlagsFor(elfClass: 32 | 64, machine: number): number[] | undefined {
  const libc6 = LdCacheFlag.elfLibc6;
  switch (machine) {
    case ElfMachine.x86_64:
      return [libc6 | (elfClass === 64 ? LdCacheFlag.x8664Lib64 : LdCacheFlag.x8664LibX32)];
    case ElfMachine.aarch64:
      return elfClass === 64 ? [libc6 | LdCacheFlag.aarch64Lib64] : undefined;
    case ElfMachine.i386:
      // Generic 32-bit ports accept plain ELF (1) and ELF libc6 entries.
      return [LdCacheFlag.elf, libc6];
    case ElfMachine.ia64:
      return [libc6 | LdCacheFlag.ia64Lib64];
    case ElfMachine.s390:
      return elfClass === 64 ? [libc6 | LdCacheFlag.s390Lib64] : [LdCacheFlag.elf, libc6];
    case ElfMachine.ppc64:
      return [libc6 | LdCacheFlag.powerpcLib64];
    case ElfMachine.sparcv9:
      return [libc6 | LdCacheFlag.sparcLib64];
    case ElfMachine.riscv:
      return elfClass === 64 ? [libc6 | LdCacheFlag.riscvFloatAbiDouble] : undefined;
    case ElfMachine.loongarch:
      return [libc6 | LdCacheFlag.larchFloatAbiDouble];
    default:
      return undefined;
  }
}

/** A loaded cache with a soname index; build with {@link loadLdCache}. */
export class LdCacheIndex {
  private readonly byKey = new Map<string, LdCacheEntry[]>();

  constructor(readonly cache: LdCache) {
    for (const e of cache.entries) {
      const list = this.byKey.get(e.key);
      if (list) list.push(e);
      else this.byKey.set(e.key, [e]);
    }
  }

  /**
   * Looks a soname up the way ld.so's search_cache does: only entries whose flags fit the requesting
   * object's class/machine; a glibc-hwcaps entry wins if its subdirectory is in `supportedHwcaps`
   * (highest priority first), otherwise the first plain entry in cache order.
   * Legacy hwcap entries (non-zero hwcap without the extension bit) are skipped: ldconfig only writes them
   * for legacy hwcap directories, which glibc 2.37 stopped supporting and which we do not model.
   */
  lookup(soname: string, elfClass: 32 | 64, machine: number, supportedHwcaps: readonly string[] = []): LdCacheEntry | undefined {
    const list = this.byKey.get(soname);
    if (!list) return undefined;
    const accepted = cacheFlagsFor(elfClass, machine);
    let best: LdCacheEntry | undefined;
    let bestRank = Infinity;
    for (const e of list) {
      if (accepted ? !accepted.includes(e.flags) : (e.flags & LdCacheFlag.typeMask) !== LdCacheFlag.elfLibc6) continue;
      if (e.hwcapsSubdir !== undefined) {
        const rank = supportedHwcaps.indexOf(e.hwcapsSubdir);
        if (rank >= 0 && rank < bestRank) {
          best = e;
          bestRank = rank;
        }
        continue;
      }
      if (e.hwcap !== 0n) continue;
      if (best === undefined) best = e;
      // ldconfig sorts hwcaps entries ahead of plain ones, so a plain entry ends the scan.
      break;
    }
    return best;
  }
}

const loaded = new Map<string, Promise<LdCacheIndex | undefined>>();

/**
 * Loads and indexes `<root>/etc/ld.so.cache` once per root (memoized for the process);
 * `undefined` when the root has no cache, as in a fresh jail.
 */
export function loadLdCache(root = '/', options: { reload?: boolean } = {}): Promise<LdCacheIndex | undefined> {
  const file = path.join(root, 'etc/ld.so.cache');
  let p = options.reload ? undefined : loaded.get(file);
  if (!p) {
    p = readFile(file).then(
      (buf) => new LdCacheIndex(parseLdCache(buf, file)),
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      },
    );
    loaded.set(file, p);
  }
  return p;
}
