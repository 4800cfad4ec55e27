/**
 * Shared-library closure, computed the way glibc's ld.so (2.36, elf/dl-load.c `_dl_map_object`) would
 * resolve it on this host, by reading files only: a jail must contain exactly what the loader will open,
 * and running the binary (or ldd, which runs the loader) on untrusted input is not acceptable.
 */
import { closeSync, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DF_1_NODEFLIB, ElfFormatError, ElfMachine, readElf } from './elf-file.js';
import type { ElfInfo } from './elf-file.js';
import { loadLdCache } from './ld-so-cache.js';
import type { LdCacheIndex } from './ld-so-cache.js';

/** How ld.so found a library. */
export type FoundVia = 'rpath' | 'runpath' | 'ld.so.cache' | 'default-dirs' | 'path';

/** One object the loader maps, other than the main program and the interpreter. */
export interface ResolvedLibrary {
  /** The DT_NEEDED string that first caused it to be loaded (ldd's left-hand side). */
  soname: string;
  /** Path as ld.so opens it (search directory + name, not the realpath); ldd's right-hand side. */
  path: string;
  /** Path of the object whose DT_NEEDED first named it. */
  neededBy: string;
  via: FoundVia;
  /** True when the search directory (or the DT_NEEDED path) came from expanding $ORIGIN. */
  viaOrigin: boolean;
}

/** A DT_NEEDED entry the loader could not satisfy (ldd's `=> not found`). */
export interface MissingLibrary {
  soname: string;
  neededBy: string;
  /** Set when a candidate existed but is unusable in a way that makes ld.so fail (e.g. not ELF). */
  error?: string;
}

/** The closure of one input file, as if it were the main program ld.so was asked to load. */
export interface RootClosure {
  path: string;
  elf: ElfInfo;
  /** PT_INTERP, or for objects without one (shared libraries) the ABI's standard loader path; undefined if static. */
  interpreter: string | undefined;
  /** Whether {@link interpreter} came from the file's own PT_INTERP. */
  interpreterDeclared: boolean;
  /**
   * Whether some DT_NEEDED in the closure names the interpreter (libc does). ldd lists the loader only then;
   * a program with PT_INTERP needs it in the jail regardless.
   */
  interpreterReferenced: boolean;
  /** Loaded objects in load (breadth-first) order. */
  libraries: ResolvedLibrary[];
  missing: MissingLibrary[];
}

/** Closure of several input files: merged view plus per-file detail. */
export interface LibraryClosure {
  /** First interpreter among the roots (the one a jail for a single program needs). */
  interpreter: string | undefined;
  /** Every distinct interpreter the roots need. */
  interpreters: string[];
  /** Union over roots, one entry per path (first occurrence). */
  libraries: ResolvedLibrary[];
  /** Union over roots, one entry per (soname, neededBy). */
  missing: MissingLibrary[];
  roots: RootClosure[];
  /** Inputs that are not ELF files. */
  notElf: string[];
}

/** The loader facts that are compiled into ld.so or come from the CPU; see {@link detectLoaderProfile}. */
export interface LoaderProfile {
  /** SYSTEM_DIRS, searched last. */
  systemDirs: string[];
  /** Value of $LIB. */
  lib: string;
  /** Value of $PLATFORM. */
  platform: string;
  /** glibc-hwcaps subdirectories the CPU supports, best first (also the ld.so.cache preference). */
  hwcapsSubdirs: string[];
  /** Legacy hwcap subdirectories (glibc < 2.37), best first, searched after glibc-hwcaps ones. */
  legacySubdirs: string[];
}

/** Options for {@link resolveLibraries} / {@link createLibraryResolver}. */
export interface ResolveOptions {
  /** Host root (default `/`); all reported paths are relative to it. Absolute symlinks inside it are followed on the host. */
  root?: string;
  /** Override the detected loader facts (e.g. to model another distribution). */
  profile?: Partial<LoaderProfile>;
}

interface Probe {
  kind: 'missing' | 'not-elf' | 'corrupt' | 'elf';
  elf?: ElfInfo;
  error?: string;
}

interface LoadedObject {
  names: Set<string>;
  path: string;
  fileId: string | undefined;
  elf: ElfInfo;
  loader: LoadedObject | undefined;
  origin: string;
  rpathDirs?: SearchDir[];
  runpathDirs?: SearchDir[];
}

interface SearchDir {
  dir: string;
  viaOrigin: boolean;
}

const STANDARD_INTERPRETERS: Record<string, string> = {
  [`64:${ElfMachine.x86_64}`]: '/lib64/ld-linux-x86-64.so.2',
  [`32:${ElfMachine.x86_64}`]: '/libx32/ld-linux-x32.so.2',
  [`32:${ElfMachine.i386}`]: '/lib/ld-linux.so.2',
  [`64:${ElfMachine.aarch64}`]: '/lib/ld-linux-aarch64.so.1',
  [`64:${ElfMachine.riscv}`]: '/lib/ld-linux-riscv64-lp64d.so.1',
  [`64:${ElfMachine.ppc64}`]: '/lib64/ld64.so.2',
  [`64:${ElfMachine.s390}`]: '/lib/ld64.so.1',
};

/** The loader path the ABI fixes for a class/machine; ldd uses it for objects without PT_INTERP. */
export function standardInterpreter(elfClass: 32 | 64, machine: number): string | undefined {
  return STANDARD_INTERPRETERS[`${elfClass}:${machine}`];
}

/** Cheap check for the ELF magic; false for unreadable, non-regular or short files. */
export async function isElf(file: string): Promise<boolean> {
  // Synchronous: four bytes of a page-cached file cost less than a thread-pool round trip.
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    if (!fstatSync(fd).isFile()) return false;
    const buf = Buffer.alloc(4);
    return readSync(fd, buf, 0, 4, 0) === 4 && buf.readUInt32BE(0) === 0x7f454c46;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function statIsDirectory(path: string): boolean {
  return safeStat(path)?.isDirectory() ?? false;
}

/** stat, or undefined for any path the loader could not open either (missing, ENOTDIR, ELOOP, EACCES). */
function safeStat(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** Resolves the transitive closure of the given ELF files (each as its own main program) with fresh caches. */
export async function resolveLibraries(paths: string[], options: ResolveOptions = {}): Promise<LibraryClosure> {
  return createLibraryResolver(options).resolve(paths);
}

/** A resolver keeps parsed ELF files and directory probes across calls; use one per batch of related files. */
export interface LibraryResolver {
  /** Same as {@link resolveLibraries}, sharing this resolver's caches. */
  resolve(paths: string[]): Promise<LibraryClosure>;
  /** Closure of one file as the main program. */
  resolveOne(file: string): Promise<RootClosure | undefined>;
  /** Every host path the resolver looked at (found or not): if none of them changes, the closure cannot change. */
  consultedPaths(): string[];
}

/** Creates a resolver whose caches assume the host files don't change while it is in use. */
export function createLibraryResolver(options: ResolveOptions = {}): LibraryResolver {
  const root = path.resolve(options.root ?? '/');
  const host = (p: string): string => (root === '/' ? path.resolve(p) : path.join(root, path.resolve('/', p)));
  const probes = new Map<string, Promise<Probe>>();
  const fileIds = new Map<string, Promise<string | undefined>>();
  const dirExists = new Map<string, Promise<boolean>>();
  const dirCandidates = new Map<string, Promise<string[]>>();
  const profiles = new Map<string, Promise<LoaderProfile>>();
  let cpuFlags: Promise<CpuFlags> | undefined;
  let cache: Promise<LdCacheIndex | undefined> | undefined;

  const probe = (p: string): Promise<Probe> => {
    let r = probes.get(p);
    if (!r) {
      r = readElf(host(p)).then(
        (elf): Probe => (elf ? { kind: 'elf', elf } : { kind: 'not-elf', error: `${p}: invalid ELF header` }),
        (e: unknown): Probe => {
          if (e instanceof ElfFormatError) return { kind: 'corrupt', error: e.message };
          // ld.so treats any failure to open a candidate as "not here" and keeps searching.
          return { kind: 'missing' };
        },
      );
      probes.set(p, r);
    }
    return r;
  };

  const fileId = (p: string): Promise<string | undefined> => {
    let r = fileIds.get(p);
    if (!r) {
      const s = safeStat(host(p));
      r = Promise.resolve(s ? `${s.dev}:${s.ino}` : undefined);
      fileIds.set(p, r);
    }
    return r;
  };

  const isDir = (p: string): Promise<boolean> => {
    let r = dirExists.get(p);
    if (!r) {
      r = Promise.resolve(statIsDirectory(host(p)));
      dirExists.set(p, r);
    }
    return r;
  };

  const readCpu = (): Promise<CpuFlags> => {
    cpuFlags ??= readCpuFlags();
    return cpuFlags;
  };

  const profileFor = (elf: ElfInfo, interpreter: string | undefined): Promise<LoaderProfile> => {
    const key = `${elf.elfClass}:${elf.machine}:${interpreter ?? ''}`;
    let r = profiles.get(key);
    if (!r) {
      r = detectLoaderProfile(elf.elfClass, elf.machine, interpreter, { root, cpu: readCpu }).then((p) => ({ ...p, ...options.profile }));
      profiles.set(key, r);
    }
    return r;
  };

  /** Search-directory expansion as fillin_rpath does it: DSTs substituted, trailing slashes dropped. */
  const expandDirs = (entries: string[], obj: LoadedObject, profile: LoaderProfile): SearchDir[] => {
    const out: SearchDir[] = [];
    for (const entry of entries) {
      const { value, viaOrigin } = expandDst(entry, obj.origin, profile);
      let dir = value === '' ? '.' : value;
      while (dir.length > 1 && dir.endsWith('/')) dir = dir.slice(0, -1);
      out.push({ dir, viaOrigin });
    }
    return out;
  };

  /** Every path ld.so tries in one search directory, best first (hwcaps subdirectories, then the directory). */
  const candidatesIn = (dir: string, profile: LoaderProfile): Promise<string[]> => {
    const key = `${dir}\0${profile.hwcapsSubdirs.join(',')}\0${profile.legacySubdirs.join(',')}`;
    let r = dirCandidates.get(key);
    if (!r) {
      r = (async () => {
        const out: string[] = [];
        if (profile.hwcapsSubdirs.length > 0 && (await isDir(`${dir}/glibc-hwcaps`))) {
          for (const sub of profile.hwcapsSubdirs) if (await isDir(`${dir}/glibc-hwcaps/${sub}`)) out.push(`${dir}/glibc-hwcaps/${sub}`);
        }
        for (const sub of profile.legacySubdirs) {
          const first = sub.split('/')[0] ?? sub;
          if ((await isDir(`${dir}/${first}`)) && (await isDir(`${dir}/${sub}`))) out.push(`${dir}/${sub}`);
        }
        out.push(dir);
        return out;
      })();
      dirCandidates.set(key, r);
    }
    return r;
  };

  async function resolveOne(file: string): Promise<RootClosure | undefined> {
    const mainProbe = await probe(file);
    if (mainProbe.kind === 'corrupt') throw new ElfFormatError(file, mainProbe.error ?? 'unreadable');
    if (mainProbe.kind !== 'elf' || !mainProbe.elf) return undefined;
    const elf = mainProbe.elf;
    const result: RootClosure = { path: file, elf, interpreter: undefined, interpreterDeclared: false, interpreterReferenced: false, libraries: [], missing: [] };
    if (!elf.dynamic) return result;
    result.interpreter = elf.interpreter ?? standardInterpreter(elf.elfClass, elf.machine);
    result.interpreterDeclared = elf.interpreter !== undefined;
    const profile = await profileFor(elf, result.interpreter);
    cache ??= loadLdCache(root);
    const ldCache = await cache;

    // Main program's $ORIGIN: at real exec time ld.so takes it from /proc/self/exe, i.e. the realpath.
    const mainReal = await realpath(host(file)).then(
      (r) => (root === '/' ? r : '/' + path.relative(root, r)),
      () => path.resolve('/', file),
    );
    const main: LoadedObject = {
      names: new Set([file]),
      path: file,
      fileId: await fileId(file),
      elf,
      loader: undefined,
      origin: path.dirname(mainReal),
    };
    const loaded: LoadedObject[] = [main];
    let rtld: LoadedObject | undefined;
    if (result.interpreter) {
      const ip = await probe(result.interpreter);
      if (ip.kind === 'elf' && ip.elf) {
        const names = new Set([result.interpreter]);
        if (ip.elf.soname) names.add(ip.elf.soname);
        rtld = {
          names,
          path: result.interpreter,
          fileId: await fileId(result.interpreter),
          elf: ip.elf,
          loader: undefined,
          origin: path.dirname(result.interpreter),
        };
        loaded.push(rtld);
      }
    }

    // _dl_map_object: an object already in the namespace is reused if the name matches one of its names or its soname.
    const findLoaded = (name: string): LoadedObject | undefined => loaded.find((l) => l.names.has(name) || l.elf.soname === name);

    const accept = async (candidate: string, requester: LoadedObject): Promise<Probe | 'skip'> => {
      const pr = await probe(candidate);
      if (pr.kind === 'missing') return 'skip';
      if (pr.kind !== 'elf' || !pr.elf) return pr;
      // open_verify: a wrong class/byte order/machine is not an error, the search just moves on.
      const e = pr.elf;
      const r = requester.elf;
      if (e.elfClass !== r.elfClass || e.endian !== r.endian || e.machine !== r.machine) return 'skip';
      if (e.osAbi !== 0 && e.osAbi !== 3) return 'skip';
      if (e.type !== 'DYN' && e.type !== 'EXEC') return { kind: 'corrupt', error: `${candidate}: only ET_DYN and ET_EXEC can be loaded` };
      return pr;
    };

    type Hit = { path: string; via: FoundVia; viaOrigin: boolean } | { error: string } | undefined;

    const searchDirs = async (name: string, dirs: SearchDir[], requester: LoadedObject, via: FoundVia): Promise<Hit> => {
      for (const d of dirs) {
        for (const c of await candidatesIn(d.dir, profile)) {
          const candidate = `${c}/${name}`;
          const a = await accept(candidate, requester);
          if (a === 'skip') continue;
          if (a.kind !== 'elf') return { error: a.error ?? `${candidate}: unusable` };
          return { path: candidate, via, viaOrigin: d.viaOrigin };
        }
      }
      return undefined;
    };

    const search = async (name: string, loader: LoadedObject): Promise<Hit> => {
      if (name.includes('/')) {
        const { value, viaOrigin } = expandDst(name, loader.origin, profile);
        const a = await accept(value, loader);
        if (a === 'skip') return undefined;
        if (a.kind !== 'elf') return { error: a.error ?? `${value}: unusable` };
        return { path: value, via: 'path', viaOrigin };
      }
      let hit: Hit;
      // DT_RPATH (loader, then its loaders up the chain, then the main program) only when the loader has no DT_RUNPATH.
      // An object's own DT_RPATH is ignored when it also has DT_RUNPATH (get-dynamic-info.h drops it).
      if (loader.elf.runpath.length === 0) {
        let mainSeen = false;
        for (let l: LoadedObject | undefined = loader; l; l = l.loader) {
          if (l === main) mainSeen = true;
          if (l.elf.runpath.length > 0 || l.elf.rpath.length === 0) continue;
          l.rpathDirs ??= expandDirs(l.elf.rpath, l, profile);
          hit = await searchDirs(name, l.rpathDirs, loader, 'rpath');
          if (hit) return hit;
        }
        if (!mainSeen && main.elf.runpath.length === 0 && main.elf.rpath.length > 0) {
          main.rpathDirs ??= expandDirs(main.elf.rpath, main, profile);
          hit = await searchDirs(name, main.rpathDirs, loader, 'rpath');
          if (hit) return hit;
        }
      }
      // LD_LIBRARY_PATH would come here; a jail's environment does not carry it, so it is ignored.
      if (loader.elf.runpath.length > 0) {
        loader.runpathDirs ??= expandDirs(loader.elf.runpath, loader, profile);
        hit = await searchDirs(name, loader.runpathDirs, loader, 'runpath');
        if (hit) return hit;
      }
      const nodeflib = (loader.elf.flags1 & DF_1_NODEFLIB) !== 0;
      const cached = ldCache?.lookup(name, loader.elf.elfClass, loader.elf.machine, profile.hwcapsSubdirs);
      // With DF_1_NODEFLIB, cache hits under a system directory are refused (prefix compare, like ld.so).
      if (cached && !(nodeflib && profile.systemDirs.some((d) => cached.path.startsWith(d.endsWith('/') ? d : `${d}/`)))) {
        const a = await accept(cached.path, loader);
        if (a !== 'skip') {
          if (a.kind !== 'elf') return { error: a.error ?? `${cached.path}: unusable` };
          return { path: cached.path, via: 'ld.so.cache', viaOrigin: false };
        }
      }
      if (!nodeflib) {
        return searchDirs(
          name,
          profile.systemDirs.map((dir) => ({ dir: dir.length > 1 ? dir.replace(/\/+$/, '') : dir, viaOrigin: false })),
          loader,
          'default-dirs',
        );
      }
      return undefined;
    };

    // _dl_map_object_deps: breadth-first over DT_NEEDED, in order.
    for (let i = 0; i < loaded.length; i++) {
      const obj = loaded[i];
      if (!obj || obj === rtld) continue;
      for (const name of obj.elf.needed) {
        const existing = findLoaded(name);
        if (existing) {
          existing.names.add(name);
          if (existing === rtld) result.interpreterReferenced = true;
          continue;
        }
        const hit = await search(name, obj);
        if (!hit || 'error' in hit) {
          result.missing.push(hit ? { soname: name, neededBy: obj.path, error: hit.error } : { soname: name, neededBy: obj.path });
          continue;
        }
        const id = await fileId(hit.path);
        // Same file reached under another name (e.g. through a symlinked directory): ld.so reuses it by dev/inode.
        const same = id === undefined ? undefined : loaded.find((l) => l.fileId === id);
        if (same) {
          same.names.add(name);
          if (same === rtld) result.interpreterReferenced = true;
          continue;
        }
        const pr = await probe(hit.path);
        if (!pr.elf) continue;
        loaded.push({
          names: new Set([name, hit.path]),
          path: hit.path,
          fileId: id,
          elf: pr.elf,
          loader: obj,
          origin: path.dirname(path.resolve('/', hit.path)),
        });
        result.libraries.push({ soname: name, path: hit.path, neededBy: obj.path, via: hit.via, viaOrigin: hit.viaOrigin });
      }
    }
    return result;
  }

  return {
    resolveOne,
    consultedPaths(): string[] {
      return [...new Set([...probes.keys(), ...fileIds.keys(), ...dirExists.keys(), '/etc/ld.so.cache'])].map(host);
    },
    async resolve(paths: string[]): Promise<LibraryClosure> {
      const out: LibraryClosure = { interpreter: undefined, interpreters: [], libraries: [], missing: [], roots: [], notElf: [] };
      const seenLib = new Set<string>();
      const seenMissing = new Set<string>();
      // Roots resolve concurrently (the caches are shared promises); merging in input order keeps the result stable.
      const closures = await Promise.all(paths.map((p) => resolveOne(p)));
      for (const [index, p] of paths.entries()) {
        const r = closures[index];
        if (!r) {
          out.notElf.push(p);
          continue;
        }
        out.roots.push(r);
        if (r.interpreter && !out.interpreters.includes(r.interpreter)) out.interpreters.push(r.interpreter);
        for (const l of r.libraries) {
          if (seenLib.has(l.path)) continue;
          seenLib.add(l.path);
          out.libraries.push(l);
        }
        for (const m of r.missing) {
          const k = `${m.soname}\0${m.neededBy}`;
          if (seenMissing.has(k)) continue;
          seenMissing.add(k);
          out.missing.push(m);
        }
      }
      out.interpreter = out.interpreters[0];
      return out;
    },
  };
}

/** CPU feature flags as /proc/cpuinfo spells them, plus the vendor id. */
export type CpuFlags = Set<string> & { vendor?: string };

/**
 * Reads the first CPU's flags from /proc/cpuinfo. Only x86-64 needs this (glibc-hwcaps levels, legacy
 * subdirectories, $PLATFORM), standing in for the CPUID probing ld.so does; an unreadable file means "baseline".
 */
export async function readCpuFlags(file = '/proc/cpuinfo'): Promise<CpuFlags> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const flags: CpuFlags = new Set(/^flags\s*:(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? []);
  flags.vendor = /^vendor_id\s*:\s*(\S+)/m.exec(text)?.[1];
  return flags;
}

const DST = /\$(?:\{(ORIGIN|PLATFORM|LIB)\}|(ORIGIN|PLATFORM|LIB)(?![A-Za-z0-9_]))/g;

/** Substitutes $ORIGIN, $LIB and $PLATFORM (plain or braced) as _dl_dst_substitute does; unknown `$X` stays literal. */
export function expandDst(value: string, origin: string, profile: Pick<LoaderProfile, 'lib' | 'platform'>): { value: string; viaOrigin: boolean } {
  let viaOrigin = false;
  const out = value.replace(DST, (_m, braced: string | undefined, plain: string | undefined) => {
    const name = braced ?? plain;
    if (name === 'ORIGIN') {
      viaOrigin = true;
      return origin;
    }
    return name === 'LIB' ? profile.lib : profile.platform;
  });
  return { value: out, viaOrigin };
}

/**
 * Derives the loader facts ld.so has compiled in, without running it. SYSTEM_DIRS and $LIB follow the
 * interpreter's real location: a multiarch directory (Debian/Ubuntu: `/usr/lib/x86_64-linux-gnu`) means
 * `/lib/<tuple>:/usr/lib/<tuple>:/lib:/usr/lib` and `$LIB = lib/<tuple>`; otherwise glibc's upstream
 * defaults (`/lib64:/usr/lib64` on 64-bit x86-64, `/lib:/usr/lib` elsewhere). On x86-64 the glibc-hwcaps
 * levels and legacy subdirectories are computed from /proc/cpuinfo flags, as ld.so computes them from CPUID.
 */
export async function detectLoaderProfile(
  elfClass: 32 | 64,
  machine: number,
  interpreter: string | undefined,
  options: { root?: string; cpu?: () => Promise<CpuFlags> } = {},
): Promise<LoaderProfile> {
  const root = path.resolve(options.root ?? '/');
  let realDir: string | undefined;
  if (interpreter) {
    try {
      const real = await realpath(path.join(root, interpreter));
      realDir = path.dirname(root === '/' ? real : '/' + path.relative(root, real));
    } catch {
      realDir = undefined;
    }
  }
  const tuple = realDir !== undefined && /-linux-/.test(path.basename(realDir)) ? path.basename(realDir) : undefined;
  const lib64 = elfClass === 64 && (machine === ElfMachine.x86_64 || machine === ElfMachine.aarch64 || machine === ElfMachine.ppc64 || machine === ElfMachine.s390 || machine === ElfMachine.sparcv9);
  const libx32 = elfClass === 32 && machine === ElfMachine.x86_64;
  const libName = tuple ? `lib/${tuple}` : lib64 ? 'lib64' : libx32 ? 'libx32' : 'lib';
  const systemDirs = tuple ? [`/lib/${tuple}`, `/usr/lib/${tuple}`, '/lib', '/usr/lib'] : [`/${libName}`, `/usr/${libName}`];

  let platform = machine === ElfMachine.x86_64 && elfClass === 64 ? 'x86_64' : os.machine();
  const hwcapsSubdirs: string[] = [];
  const legacySubdirs: string[] = [];
  if (machine === ElfMachine.x86_64 && elfClass === 64) {
    const f = await (options.cpu ?? readCpuFlags)();
    const has = (...names: string[]): boolean => names.every((n) => f.has(n));
    // glibc's x86-64-vN ISA levels (sysdeps/x86/get-isa-level.h); cpuinfo spells sse3 `pni` and lzcnt `abm`.
    const v2 = has('cx16', 'lahf_lm', 'popcnt', 'pni', 'sse4_1', 'sse4_2', 'ssse3');
    const v3 = v2 && has('avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave');
    const v4 = v3 && has('avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl');
    if (v4) hwcapsSubdirs.push('x86-64-v4');
    if (v3) hwcapsSubdirs.push('x86-64-v3');
    if (v2) hwcapsSubdirs.push('x86-64-v2');
    // Legacy platform names are set only on Intel CPUs (sysdeps/x86/cpu-features.c).
    let legacyPlatform: string | undefined;
    if (f.vendor === 'GenuineIntel') {
      if (has('avx512f', 'avx512er', 'avx512pf')) legacyPlatform = 'xeon_phi';
      else if (has('avx2', 'bmi1', 'bmi2', 'abm', 'movbe', 'popcnt')) legacyPlatform = 'haswell';
    }
    if (legacyPlatform) platform = legacyPlatform;
    const parts = ['tls', ...(legacyPlatform ? [legacyPlatform] : []), ...(has('avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl') ? ['avx512_1'] : []), 'x86_64'];
    // All subsets, most specific first, in the order _dl_important_hwcaps builds them; the empty one is the dir itself.
    const n = parts.length;
    for (let mask = (1 << n) - 1; mask > 0; mask--) {
      legacySubdirs.push(parts.filter((_p, i) => (mask & (1 << (n - 1 - i))) !== 0).join('/'));
    }
  }
  return { systemDirs, lib: libName, platform, hwcapsSubdirs, legacySubdirs };
}
