import type { Stats } from 'node:fs';
import { lstatSync, readlinkSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { type HostAccounts, readHostAccounts } from './accounts.js';
import { type HostDevice, readHostDevice } from './devices.js';
import { readElf } from './elf-file.js';
import type { StampKind } from './input-stamps.js';
import { loadLdCache } from './ld-so-cache.js';
import { createLibraryResolver, detectLoaderProfile, isElf, type LibraryClosure, type LibraryResolver, type LoaderProfile } from './library-resolver.js';

/**
 * Read-only, memoized access to the host's files. The planner reads the host only through this,
 * so a plan never writes and each host path is examined once however many entries mention it.
 */
export class HostView {
  readonly #stats = new Map<string, Promise<Stats | undefined>>();
  readonly #links = new Map<string, Promise<string>>();
  #accounts: Promise<HostAccounts> | undefined;
  readonly #devices = new Map<string, Promise<HostDevice>>();
  readonly #libraries: LibraryResolver = createLibraryResolver();
  #loaderProfile: Promise<LoaderProfile> | undefined;
  /** Every host path the plan depended on, so a later build can tell "nothing changed" without planning again. */
  readonly #consulted = new Set<string>();

  /** lstat, or undefined when the path does not exist. */
  lstat(path: string): Promise<Stats | undefined> {
    this.#consult(path, 'lstat');
    let pending = this.#stats.get(path);
    if (!pending) {
      // Synchronous: planning lstats every path component once, and cached metadata is cheaper than a thread-pool trip.
      try {
        pending = Promise.resolve(lstatSync(path, { throwIfNoEntry: false }));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
        pending = Promise.resolve(undefined);
      }
      this.#stats.set(path, pending);
    }
    return pending;
  }

  /** readlink, memoized. */
  readlink(path: string): Promise<string> {
    this.#consult(path, 'lstat');
    let pending = this.#links.get(path);
    if (!pending) {
      pending = Promise.resolve(readlinkSync(path));
      this.#links.set(path, pending);
    }
    return pending;
  }

  /** Directory entries, sorted so plans are deterministic. */
  async readdir(path: string): Promise<string[]> {
    this.#consult(path, 'stat');
    return (await readdir(path)).sort();
  }

  /** A text file's content, or undefined when it does not exist. */
  async readText(path: string): Promise<string | undefined> {
    this.#consult(path, 'stat');
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The host's users and groups. */
  accounts(): Promise<HostAccounts> {
    this.#consult('/etc/passwd', 'stat');
    this.#consult('/etc/group', 'stat');
    this.#accounts ??= readHostAccounts();
    return this.#accounts;
  }

  /** Forget the accounts read so far (after the build created one). */
  forgetAccounts(): void {
    this.#accounts = undefined;
  }

  /** A host device node. */
  device(name: string): Promise<HostDevice> {
    this.#consult(`/dev/${name}`, 'stat');
    let pending = this.#devices.get(name);
    if (!pending) {
      pending = readHostDevice(name);
      this.#devices.set(name, pending);
    }
    return pending;
  }

  /** What this host's own dynamic loader searches by default (its class and machine: those of the running node). */
  loaderProfile(): Promise<LoaderProfile> {
    this.#loaderProfile ??= readElf(process.execPath).then((self) => {
      if (!self) throw new Error(`${process.execPath} is not an ELF file`);
      return detectLoaderProfile(self.elfClass, self.machine, self.interpreter);
    });
    return this.#loaderProfile;
  }

  /** True for ELF files (by their magic number). */
  isElf(path: string): Promise<boolean> {
    return isElf(path);
  }

  /** The shared libraries and loader these ELF files need, found as ld.so would, without running anything. */
  libraryClosure(paths: string[]): Promise<LibraryClosure> {
    return this.#libraries.resolve(paths);
  }

  /**
   * Where ld.so would find a library named by soname for a program of this host's own ELF class and
   * machine (a dlopen by soname): ld.so.cache first, then the loader's default directories.
   */
  async findLibrary(soname: string): Promise<string | undefined> {
    this.#consult('/etc/ld.so.cache', 'stat');
    const self = await readElf(process.execPath);
    if (!self) return undefined;
    const profile = await this.loaderProfile();
    const cached = (await loadLdCache())?.lookup(soname, self.elfClass, self.machine, profile.hwcapsSubdirs);
    if (cached) return cached.path;
    for (const directory of profile.systemDirs) {
      const candidate = `${directory.replace(/\/$/, '')}/${soname}`;
      if (await this.lstat(candidate)) return candidate;
    }
    return undefined;
  }

  /** The host paths consulted so far, each with how it was read; the library resolver's own probes included. */
  consulted(): [path: string, kind: StampKind][] {
    const all = new Set(this.#consulted);
    for (const path of this.#libraries.consultedPaths()) all.add(`stat\0${path}`);
    return [...all].map((key) => {
      const [kind, path] = key.split('\0') as [StampKind, string];
      return [path, kind];
    });
  }

  #consult(path: string, kind: StampKind): void {
    this.#consulted.add(`${kind}\0${path}`);
  }
}
