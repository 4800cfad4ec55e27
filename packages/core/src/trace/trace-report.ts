/**
 * What a traced program needs from a jail, from its strace events: libraries (ELF closure or dlopen),
 * config and data files, directories it writes, devices, unix sockets, listening ports, account lookups.
 */
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { KNOWN_DEVICES, type Device } from '../recipe/schema.js';
import { createLibraryResolver, isElf } from '../host/library-resolver.js';
import { loadLdCache } from '../host/ld-so-cache.js';
import type { TraceEvent } from './strace-parser.js';
import { isLoaderNoise, refusedPath } from './path-policy.js';

/** A library the program loaded, and how the loader came to it. */
export interface TracedLibrary {
  path: string;
  /** `elf`: named by DT_NEEDED in the closure of an executed program; `dlopen`: opened at run time. */
  via: 'elf' | 'dlopen';
  /** The soname under which the host's ld.so.cache finds it, when it does. */
  soname?: string | undefined;
}

/** A path the program asked for and did not get. */
export interface FailedPath {
  path: string;
  errno: string;
  syscall: string;
  /** Opened for writing or creating. */
  write: boolean;
}

/** What a jail for the traced program needs. */
export interface TraceReport {
  command: string[];
  executables: string[];
  libraries: TracedLibrary[];
  /** Regular files read (config, data), other than libraries and executables. */
  files: string[];
  /** Directories listed (opened with O_DIRECTORY). */
  directoriesRead: string[];
  /** Directories the program created files in or made. */
  directoriesWritten: string[];
  devices: { path: string; device?: Device | undefined }[];
  unixSockets: { path: string; syscall: 'connect' | 'bind'; ok: boolean }[];
  listening: { host: string; port: number }[];
  /** Account databases read: `passwd`, `group`. */
  accountLookups: ('passwd' | 'group')[];
  /** Paths seen and deliberately left out, with why (/etc/shadow, /proc, /sys, keys). */
  skipped: { path: string; reason: string }[];
  /** Paths that failed (ENOENT, EACCES, …), deduplicated. */
  failed: FailedPath[];
}

const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/;

/** lstat() of a host path, or undefined when it cannot be read. */
export function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Follows symlinks on the host; the path itself when it cannot. */
export function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The host ld.so.cache's entries by the real path of their file (built once: resolving ~1000 paths per lookup made learning slow). */
let cacheByRealPath: Promise<Map<string, { key: string; hwcapsSubdir: string | undefined }[]> | undefined> | undefined;

function ldCacheByRealPath() {
  cacheByRealPath ??= loadLdCache().then((cache) => {
    if (!cache) return undefined;
    const byPath = new Map<string, { key: string; hwcapsSubdir: string | undefined }[]>();
    for (const entry of cache.cache.entries) {
      const target = real(entry.path);
      byPath.set(target, [...(byPath.get(target) ?? []), { key: entry.key, hwcapsSubdir: entry.hwcapsSubdir }]);
    }
    return byPath;
  });
  return cacheByRealPath;
}

/** The soname under which the host ld.so.cache lists this very file, if any. */
export async function cachedSoname(hostPath: string): Promise<string | undefined> {
  const entries = (await ldCacheByRealPath())?.get(real(hostPath));
  if (!entries) return undefined;
  const base = posix.basename(hostPath);
  return (entries.find((entry) => entry.key === base) ?? entries.find((entry) => entry.hwcapsSubdir === undefined))?.key;
}

/** Builds the report from parsed events; `hostRoot` is where the traced paths live on the host ('/' for a host trace). */
export async function summarizeTrace(events: readonly TraceEvent[], command: string[], options: { hostRoot?: string } = {}): Promise<TraceReport> {
  const onHost = (path: string) => posix.join(options.hostRoot ?? '/', path);
  const executables = new Set<string>();
  const opened = new Map<string, { write: boolean; directory: boolean }>();
  const written = new Set<string>();
  const sockets = new Map<string, TraceReport['unixSockets'][number]>();
  const listening = new Map<string, { host: string; port: number }>();
  const skipped = new Map<string, string>();
  const failed = new Map<string, FailedPath>();

  for (const event of events) {
    if (event.address) {
      if (event.address.family === 'unix') {
        if (event.address.abstract || event.address.path === '') continue;
        const ok = event.result === 0;
        const key = `${event.syscall}:${event.address.path}`;
        if (!sockets.get(key)?.ok) sockets.set(key, { path: event.address.path, syscall: event.syscall as 'connect' | 'bind', ok });
      } else if (event.syscall === 'bind' && event.result === 0) {
        listening.set(`${event.address.host}:${event.address.port}`, { host: event.address.host, port: event.address.port });
      }
      continue;
    }
    const path = event.path;
    if (path === undefined) continue;
    const write = event.flags !== undefined && WRITE_FLAGS.test(event.flags);
    const ok = event.result !== undefined && event.result >= 0;
    if (!ok) {
      if (event.errno && !failed.has(path)) failed.set(path, { path, errno: event.errno, syscall: event.syscall, write });
      else if (write && failed.get(path)) (failed.get(path) as FailedPath).write = true;
      continue;
    }
    if (event.syscall === 'execve' || event.syscall === 'execveat') executables.add(path);
    else if (event.syscall === 'mkdir' || event.syscall === 'mkdirat') written.add(path);
    else if (event.syscall.startsWith('open') || event.syscall === 'creat') {
      const previous = opened.get(path);
      opened.set(path, { write: write || (previous?.write ?? false), directory: /O_DIRECTORY/.test(event.flags ?? '') || (previous?.directory ?? false) });
      if (write) written.add(posix.dirname(path));
    }
  }

  // A library is ELF-found when some executed program or loaded object names it in DT_NEEDED; the rest were dlopen'd.
  const resolver = createLibraryResolver({ root: options.hostRoot ?? '/' });
  const roots: string[] = [];
  for (const executable of executables) if (await isElf(onHost(executable))) roots.push(executable);
  for (const [path, how] of opened) if (!how.write && /\.so(\.[0-9.]+)?$/.test(path) && (await isElf(onHost(path)))) roots.push(path);
  const closure = await resolver.resolve(roots);
  const closureFiles = new Set<string>();
  for (const library of closure.libraries) closureFiles.add(real(onHost(library.path)));
  for (const interpreter of closure.interpreters) closureFiles.add(real(onHost(interpreter)));

  const libraries: TracedLibrary[] = [];
  const files: string[] = [];
  const directoriesRead: string[] = [];
  const devices: TraceReport['devices'] = [];
  const accountLookups = new Set<'passwd' | 'group'>();
  for (const [path, how] of [...opened].sort(([a], [b]) => a.localeCompare(b))) {
    if (path === '/etc/passwd') accountLookups.add('passwd');
    if (path === '/etc/group') accountLookups.add('group');
    const refused = refusedPath(path);
    if (refused) {
      skipped.set(path, refused);
      continue;
    }
    if (isLoaderNoise(path)) continue;
    const info = lstat(onHost(path));
    if (!info) continue;
    if (path.startsWith('/dev/')) {
      const name = path.slice(5);
      devices.push({ path, device: (KNOWN_DEVICES as readonly string[]).includes(name) ? (name as Device) : undefined });
      continue;
    }
    if (how.directory || info.isDirectory()) {
      directoriesRead.push(path);
      continue;
    }
    if (executables.has(path)) continue;
    if (/\.so(\.[0-9.]+)?$/.test(path) && (await isElf(onHost(path)))) {
      const via = closureFiles.has(real(onHost(path))) ? 'elf' : 'dlopen';
      libraries.push({ path, via, soname: options.hostRoot && options.hostRoot !== '/' ? undefined : await cachedSoname(path) });
      continue;
    }
    if (how.write) continue;
    files.push(path);
  }
  for (const path of failed.keys()) {
    const refused = refusedPath(path);
    if (refused) {
      skipped.set(path, refused);
      failed.delete(path);
    }
  }
  for (const library of closure.libraries) {
    if (!libraries.some((entry) => real(onHost(entry.path)) === real(onHost(library.path)))) libraries.push({ path: library.path, via: 'elf' });
  }
  return {
    command,
    executables: [...executables],
    libraries: libraries.sort((a, b) => a.via.localeCompare(b.via) || a.path.localeCompare(b.path)),
    files,
    directoriesRead,
    directoriesWritten: [...written].filter((path) => !refusedPath(path) && !path.startsWith('/dev/') && path !== '/').sort(),
    devices,
    unixSockets: [...sockets.values()],
    listening: [...listening.values()],
    accountLookups: [...accountLookups].sort(),
    skipped: [...skipped].map(([path, reason]) => ({ path, reason })).sort((a, b) => a.path.localeCompare(b.path)),
    failed: [...failed.values()],
  };
}
