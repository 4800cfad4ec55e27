import type { Stats } from 'node:fs';
import { posix } from 'node:path';
import { JailwrightError } from '../errors.js';
import { formatGroup, formatPasswd, type GroupEntry, type HostAccounts, type PasswdEntry } from '../host/accounts.js';
import type { HostView } from '../host/host-view.js';
import type { NormalizedRecipe } from '../recipe/index.js';
import { DEFAULT_SYSLOG } from '../recipe/vocabulary.js';
import { JailTree } from './jail-tree.js';
import { expandPresets } from './presets.js';
import { emptyRequest, type FileRequest, type JailRequest, mergeRequest } from './request.js';
import type { AccountToCreate, CopyFile, Plan } from './types.js';

const SETUID_BITS = 0o6000;
const MAX_SYMLINK_HOPS = 40;
/** Host files that never enter a jail, whatever a recipe says. */
const NEVER_COPIED = new Set(['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-']);
const KERNEL_FILESYSTEMS = ['/proc', '/sys'];

/** Turns a recipe into the request it makes, merged with the presets it includes (derived from the host). */
export async function requestFromRecipe(recipe: NormalizedRecipe, host: HostView): Promise<JailRequest> {
  const request = emptyRequest();
  for (const fragment of await expandPresets(recipe.jail.include, host)) mergeRequest(request, fragment);
  const { jail } = recipe;
  mergeRequest(request, {
    files: jail.files.map((file) => ({ ...file, origin: 'jail.files' })),
    libraries: jail.libraries.map((name) => ({ name, origin: 'jail.libraries' })),
    directories: jail.directories.map((directory) => ({ ...directory, origin: 'jail.directories' })),
    devices: jail.devices.map((name) => ({ name, origin: 'jail.devices' })),
    users: jail.users.map((user) => ({ ...user, origin: 'jail.users' })),
    groups: jail.groups.map((name) => ({ name, origin: 'jail.groups' })),
    write: jail.write.map((entry) => ({ ...entry, origin: 'jail.write' })),
    symlinks: jail.symlinks.map((entry) => ({ ...entry, origin: 'jail.symlinks' })),
  });
  request.link = jail.link;
  // A launched service gets a syslog socket in the jail's /dev (the relay unless the recipe says otherwise).
  const syslogMethod = (recipe.syslog ?? DEFAULT_SYSLOG).method;
  if (recipe.launch && syslogMethod !== 'none' && syslogMethod !== 'solaris-mknod') {
    request.directories.push({ path: '/dev', mode: 0o755, origin: `syslog ${syslogMethod}: the jail's /dev/log` });
  }
  // `proc: fresh` mounts a procfs of the service's own pid namespace there at start: the build makes the empty mount point.
  if (recipe.launch?.proc === 'fresh') request.directories.push({ path: '/proc', mode: 0o555, origin: 'launch.proc: fresh (mount point)' });
  return request;
}

/** Options that change how a plan copies, whatever the recipe says. */
export interface PlanOptions {
  /** Override the recipe's `link` mode. */
  link?: 'copy' | 'hard' | undefined;
}

/**
 * Plans a jail: reads the host (never writes) and returns every operation that builds it, in order.
 * Host accounts the recipe wants created are listed, not created: `build` creates them and plans again.
 */
export async function planJail(recipe: NormalizedRecipe, host: HostView, options: PlanOptions = {}): Promise<Plan> {
  const request = await requestFromRecipe(recipe, host);
  if (options.link) request.link = options.link;
  const planner = new Planner(host, request);
  await planner.run();
  return {
    recipe: recipe.name,
    operations: planner.tree.operations(),
    accountsToCreate: planner.accountsToCreate,
    notes: planner.notes,
  };
}

class Planner {
  readonly tree = new JailTree();
  readonly notes: string[] = [];
  readonly accountsToCreate: AccountToCreate[] = [];
  readonly #elfCandidates = new Map<string, string>();
  readonly #visited = new Set<string>();
  #accounts!: HostAccounts;

  constructor(
    private readonly host: HostView,
    private readonly request: JailRequest,
  ) {}

  async run(): Promise<void> {
    this.#accounts = await this.host.accounts();
    for (const user of this.request.users) {
      if (user.create && !this.#accounts.users.some((candidate) => candidate.name === user.name)) {
        this.accountsToCreate.push({ name: user.name, group: user.group, home: user.home });
      }
    }
    this.tree.add({ kind: 'directory', path: '/', mode: 0o755, uid: 0, gid: 0, reason: 'jail root' });
    // Symlinks and directories first, so later paths resolve through them the way the jailed process will.
    for (const link of this.request.symlinks) {
      this.tree.ensureParents(link.path, link.origin);
      this.tree.add({ kind: 'symlink', path: link.path, target: insideTarget(link.path, link.target), reason: link.origin });
    }
    for (const directory of this.request.directories) {
      const path = this.tree.resolveParents(directory.path);
      this.tree.ensureParents(path, directory.origin);
      const owner = this.#owner(directory.owner, directory.group, directory.origin);
      this.tree.addExplicitDirectory({ kind: 'directory', path, mode: directory.mode ?? 0o755, ...owner, reason: directory.origin });
    }
    for (const file of this.request.files) await this.#addFile(file);
    for (const device of this.request.devices) await this.#addDevice(device.name, device.origin);
    for (const entry of this.request.write) {
      if (NEVER_COPIED.has(entry.path)) throw new JailwrightError(`${entry.origin}: ${entry.path} is never written into a jail`);
      const path = this.tree.resolveParents(entry.path);
      this.tree.ensureParents(path, entry.origin);
      const owner = this.#owner(entry.owner, entry.group, entry.origin);
      this.tree.add({ kind: 'write', path, content: entry.content, mode: entry.mode ?? 0o644, ...owner, reason: entry.origin });
    }
    this.#addAccounts();
    await this.#addLibraries();
  }

  async #addFile(file: FileRequest): Promise<void> {
    if (NEVER_COPIED.has(file.path)) {
      throw new JailwrightError(`${file.origin}: ${file.path} is never copied into a jail: it holds password hashes`, {
        hint: 'The jail gets its own /etc/passwd and /etc/group from `users:` and `groups:`, without hashes.',
      });
    }
    const mirrored = file.to === undefined || file.to === file.path;
    const found = mirrored ? await this.#addHostPath(file.path, file.origin, file) : await this.#addRenamed(file);
    if (found) return;
    if (file.optional) {
      this.notes.push(`${file.path} is not on this host; skipped (optional, ${file.origin})`);
      return;
    }
    throw new JailwrightError(`${file.origin}: ${file.path} does not exist on this host`, {
      hint: 'Install what provides it, fix the path, or mark the entry `optional: true`.',
    });
  }

  /**
   * Brings a host path into the jail at the same path, keeping every symlink on the way as a link
   * (so `/lib -> usr/lib` and `libfoo.so.1 -> libfoo.so.1.2` stay links) and making absolute or
   * climbing link targets relative, so no link in the jail leads out of it when opened from the host.
   */
  async #addHostPath(hostPath: string, reason: string, file?: FileRequest, hops = 0): Promise<boolean> {
    if (hops > MAX_SYMLINK_HOPS) throw new JailwrightError(`too many levels of symbolic links resolving ${hostPath} on the host`);
    refuseKernelFilesystem(hostPath, reason);
    const parts = hostPath.split('/').filter(Boolean);
    let current = '/';
    for (const [index, part] of parts.entries()) {
      current = posix.join(current, part);
      const info = await this.host.lstat(current);
      if (!info) return false;
      if (info.isSymbolicLink()) {
        const target = posix.resolve(posix.dirname(current), await this.host.readlink(current));
        this.tree.add({ kind: 'symlink', path: current, target: insideTarget(current, target), reason });
        return this.#addHostPath(posix.join(target, ...parts.slice(index + 1)), reason, file, hops + 1);
      }
      const last = index === parts.length - 1;
      if (!last) {
        if (!info.isDirectory()) return false;
        this.#mirrorDirectory(current, info, reason);
        continue;
      }
      await this.#addExisting(current, info, reason, file, hops);
    }
    return true;
  }

  async #addExisting(path: string, info: Stats, reason: string, file: FileRequest | undefined, hops: number): Promise<void> {
    if (this.#visited.has(path) && file === undefined) return;
    this.#visited.add(path);
    if (info.isDirectory()) {
      this.#mirrorDirectory(path, info, reason);
      for (const name of await this.host.readdir(path)) {
        const child = posix.join(path, name);
        const childInfo = await this.host.lstat(child);
        if (!childInfo) continue;
        if (childInfo.isSymbolicLink()) {
          const target = posix.resolve(path, await this.host.readlink(child));
          if (isKernelPath(target)) {
            this.notes.push(`${child} links into ${target}; skipped, nothing from /proc or /sys enters a jail`);
            continue;
          }
          await this.#addHostPath(child, reason, undefined, hops);
        } else {
          await this.#addExisting(child, childInfo, reason, undefined, hops);
        }
      }
    } else if (info.isFile()) {
      this.tree.add(this.#copy(path, path, info, reason, file));
    } else if (file !== undefined) {
      throw new JailwrightError(`${file.origin}: ${path} is not a regular file, directory or link (a socket, fifo or device)`, {
        hint: 'Device nodes come from `devices:` (with the host\'s numbers); sockets and fifos are made by the service at run time.',
      });
    } else {
      this.notes.push(`${path} is not a regular file, directory or link (a socket, fifo or device); skipped`);
    }
  }

  /** A `to:` entry: the host file's content (links followed) placed at another jail path. */
  async #addRenamed(file: FileRequest): Promise<boolean> {
    refuseKernelFilesystem(file.path, file.origin);
    let source = file.path;
    let info = await this.host.lstat(source);
    for (let hops = 0; info?.isSymbolicLink(); hops += 1) {
      if (hops > MAX_SYMLINK_HOPS) throw new JailwrightError(`too many levels of symbolic links resolving ${file.path}`);
      source = posix.resolve(posix.dirname(source), await this.host.readlink(source));
      refuseKernelFilesystem(source, file.origin);
      info = await this.host.lstat(source);
    }
    if (!info) return false;
    if (!info.isFile()) {
      throw new JailwrightError(`${file.origin}: ${file.path} is not a regular file; \`to:\` renames single files only`);
    }
    const target = this.tree.resolveParents(file.to as string);
    this.tree.ensureParents(target, file.origin);
    this.tree.add(this.#copy(source, target, info, file.origin, file));
    return true;
  }

  #copy(source: string, path: string, info: Stats, reason: string, file: FileRequest | undefined): CopyFile {
    const hostMode = info.mode & 0o7777;
    const keepSetuid = file?.keepSetuid ?? false;
    const strippedBits = keepSetuid ? 0 : hostMode & SETUID_BITS;
    if (strippedBits !== 0) this.notes.push(`${path}: setuid/setgid bits stripped (set keepSetuid with a reason to keep them)`);
    const owner =
      file?.owner !== undefined || file?.group !== undefined ? this.#owner(file.owner, file.group, reason) : { uid: info.uid, gid: info.gid };
    if (info.mode & 0o111 || path.includes('.so')) this.#elfCandidates.set(source, path);
    return {
      kind: 'copy',
      path,
      source: {
        path: source,
        size: info.size,
        mtimeMs: info.mtimeMs,
        ino: info.ino,
        dev: info.dev,
        mode: info.mode,
        uid: info.uid,
        gid: info.gid,
      },
      mode: file?.mode ?? hostMode & ~strippedBits,
      ...owner,
      keepSetuid,
      strippedBits,
      link: this.request.link,
      reason,
    };
  }

  #mirrorDirectory(path: string, info: Stats, reason: string): void {
    this.tree.addMirroredDirectory({ kind: 'directory', path, mode: info.mode & 0o7777 & ~SETUID_BITS, uid: info.uid, gid: info.gid, reason });
  }

  async #addDevice(name: string, origin: string): Promise<void> {
    const device = await this.host.device(name);
    const path = this.tree.resolveParents(`/dev/${name}`);
    this.tree.ensureParents(path, origin);
    this.tree.add({
      kind: 'device',
      path,
      device: device.kind,
      major: device.major,
      minor: device.minor,
      mode: device.mode,
      uid: device.uid,
      gid: device.gid,
      reason: `${origin}: host /dev/${name}`,
    });
  }

  /** The jail's passwd and group: only the users and groups the recipe names, each user's primary group with it. */
  #addAccounts(): void {
    const users: PasswdEntry[] = [];
    const groups = new Map<string, GroupEntry>();
    let pendingCreation = false;
    for (const request of this.request.users) {
      const user = this.#accounts.users.find((candidate) => candidate.name === request.name);
      if (!user) {
        if (!request.create) {
          throw new JailwrightError(`${request.origin}: user "${request.name}" does not exist on this host`, {
            hint: `Create it (useradd --system ${request.name}), or write { name: ${request.name}, create: true } so the build creates it.`,
          });
        }
        pendingCreation = true;
        continue;
      }
      if (!users.some((existing) => existing.name === user.name)) users.push(user);
      const primary = this.#accounts.groups.find((group) => group.gid === user.gid);
      if (primary) groups.set(primary.name, primary);
    }
    for (const request of this.request.groups) {
      const group = this.#accounts.groups.find((candidate) => candidate.name === request.name);
      if (!group) throw new JailwrightError(`${request.origin}: group "${request.name}" does not exist on this host`);
      groups.set(group.name, group);
    }
    if (users.length === 0 && groups.size === 0 && !pendingCreation) return;
    const names = new Set(users.map((user) => user.name));
    const jailGroups = [...groups.values()].map((group) => ({ ...group, members: group.members.filter((member) => names.has(member)) }));
    const reason = 'jail.users and jail.groups (no password hashes)';
    const passwdPath = this.tree.resolveParents('/etc/passwd');
    const groupPath = this.tree.resolveParents('/etc/group');
    this.tree.ensureParents(passwdPath, reason);
    this.tree.add({ kind: 'write', path: passwdPath, content: formatPasswd(users), mode: 0o644, uid: 0, gid: 0, reason });
    this.tree.add({ kind: 'write', path: groupPath, content: formatGroup(jailGroups), mode: 0o644, uid: 0, gid: 0, reason });
  }

  /** The ELF closure of every executable and library copied, plus the dlopen'd libraries the request names. */
  async #addLibraries(): Promise<void> {
    const roots: string[] = [];
    for (const source of this.#elfCandidates.keys()) {
      if (await this.host.isElf(source)) roots.push(source);
    }
    for (const library of this.request.libraries) {
      const found = library.name.startsWith('/') ? library.name : await this.host.findLibrary(library.name);
      if (found === undefined || !(await this.host.lstat(found))) {
        if (library.optional) continue;
        throw new JailwrightError(`${library.origin}: library ${library.name} is not on this host (not in ld.so.cache nor the default directories)`);
      }
      if (!(await this.#addHostPath(found, `${library.origin}: ${library.name}`))) continue;
      roots.push(found);
    }
    const closure = await this.host.libraryClosure(roots);
    for (const interpreter of closure.interpreters) {
      if (!(await this.#addHostPath(interpreter, 'the dynamic loader'))) {
        throw new JailwrightError(`the dynamic loader ${interpreter} that the jail's programs name is not on this host`);
      }
    }
    for (const library of closure.libraries) {
      await this.#addHostPath(library.path, `needed by ${library.neededBy}`);
    }
    await this.#addLoaderCacheWhenNeeded(closure.libraries);
    for (const missing of closure.missing) {
      this.notes.push(`${missing.neededBy} needs ${missing.soname}, which is not on this host: the program will not start in the jail`);
    }
  }

  /**
   * A jail has no ld.so.cache of its own, so its loader searches only its built-in directories. A library
   * the host found through the cache in another directory (an ld.so.conf entry such as /usr/local/lib)
   * would not be found in the jail: bring the host's cache along for those.
   */
  async #addLoaderCacheWhenNeeded(libraries: readonly { path: string; via: string }[]): Promise<void> {
    const defaults = new Set((await this.host.loaderProfile()).systemDirs.map((directory) => directory.replace(/\/$/, '')));
    const outside = libraries.filter((library) => library.via === 'ld.so.cache' && !defaults.has(posix.dirname(library.path)));
    if (outside.length === 0) return;
    await this.#addHostPath('/etc/ld.so.cache', `ld.so.cache: ${outside.map((library) => library.path).join(', ')} lie outside the loader's default directories`);
  }

  #owner(owner: string | undefined, group: string | undefined, origin: string): { uid: number; gid: number } {
    let uid = 0;
    let gid = 0;
    if (owner !== undefined) {
      const user = this.#accounts.users.find((candidate) => candidate.name === owner);
      if (!user) {
        // Planned before `build` creates the account (a dry run): -1 marks the id it will get.
        if (this.accountsToCreate.some((account) => account.name === owner)) return { uid: -1, gid: -1 };
        throw new JailwrightError(`${origin}: owner "${owner}" is not a user on this host`);
      }
      uid = user.uid;
      gid = user.gid;
    }
    if (group !== undefined) {
      const entry = this.#accounts.groups.find((candidate) => candidate.name === group);
      if (!entry) throw new JailwrightError(`${origin}: group "${group}" is not a group on this host`);
      gid = entry.gid;
    }
    return { uid, gid };
  }
}

/**
 * A link target written relative to the link's directory, resolved as the kernel would from inside the
 * jail (".." stops at the root), so the link leads to the same place when the jail is opened from the host.
 */
function insideTarget(linkPath: string, target: string): string {
  return posix.relative(posix.dirname(linkPath), posix.resolve(posix.dirname(linkPath), target)) || '.';
}

function isKernelPath(path: string): boolean {
  return KERNEL_FILESYSTEMS.some((root) => path === root || path.startsWith(`${root}/`));
}

function refuseKernelFilesystem(path: string, origin: string): void {
  if (isKernelPath(path)) {
    throw new JailwrightError(`${origin}: ${path} is under /proc or /sys; nothing from a kernel filesystem is ever copied into a jail`);
  }
}
