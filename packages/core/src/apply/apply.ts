import { createHash } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, lstatSync, openSync } from 'node:fs';
import { chmod, chown, copyFile as kernelCopy, lchown, link, lstat, mkdir, open, readdir, readFile, realpath, rename, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { JailwrightError } from '../errors.js';
import { forEachConcurrently } from '../for-each-concurrently.js';
import type { CopyFile, MakeDevice, Operation, Plan, WriteFile } from '../plan/types.js';
import { stampOf } from '../host/input-stamps.js';
import { acquireBuildLock } from './build-lock.js';
import { pinnedGenerations } from './generation-pins.js';
import {
  currentJail,
  generationName,
  generationNumber,
  type JailLayout,
  jailLayout,
  manifestPath,
} from './jail-layout.js';
import {
  type BuildInputs,
  entryType,
  jailMatchesStamps,
  jailStamp,
  type Manifest,
  type ManifestEntry,
  planDigest,
  readManifest,
} from './manifest.js';
import { copiedContentUnchanged, type KnownContent, knownContents, readHostDigests, rememberHostDigests } from './host-digests.js';
import { assertRoot, assertSafeParents } from './root-safety.js';
import { carriedDataDirectories } from './service-data.js';

/** How `applyPlan` runs. */
export interface ApplyOptions {
  /** Build a new generation even when the jail is up to date. */
  force?: boolean;
  /** Wait this long for another build of the same jail instead of refusing at once. */
  waitMs?: number;
  recipeFile?: string | undefined;
  engineVersion: string;
  /** What the plan read, recorded so the next build can tell "nothing changed" without planning. */
  inputs: BuildInputs;
  /** Called as operations complete, for a progress line. */
  onProgress?: (done: number, total: number) => void;
  /** Called once when the build has to wait for another one. */
  onWait?: (holderPid: number) => void;
  /** Keep the previous generation after the swap (until the next build), so `rollBack` can return to it. */
  keepPrevious?: boolean | undefined;
  /** Take the sha256 of provably unchanged host files from earlier builds (default true); false reads and hashes all. */
  reuseDigests?: boolean | undefined;
}

/** What a build did. */
export interface ApplyResult {
  changed: boolean;
  root: string;
  generation: string;
  manifestPath: string;
  operations: number;
  bytesCopied: number;
  previousGeneration?: string | undefined;
}

const OPEN_NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const PARALLEL_COPIES = 16;
const execFileAsync = promisify(execFile);

/**
 * Builds the planned jail in a staging directory beside the old one and swaps it in with one
 * rename; nothing is ever written into the live jail, so a symlink planted there cannot redirect
 * a write, and a build killed at any point leaves the previous generation in place.
 */
export async function applyPlan(plan: Plan, root: string, options: ApplyOptions): Promise<ApplyResult> {
  assertRoot('building a jail');
  const layout = jailLayout(root);
  await assertSafeParents(layout.parent);
  await prepareStateDirectory(layout);
  const lock = await acquireBuildLock(layout.lock, { waitMs: options.waitMs ?? 0, onWait: options.onWait });
  try {
    const current = await currentJail(layout, isEmptyDirectory);
    if (current.kind === 'foreign') {
      throw new JailwrightError(`${layout.root} exists and was not built by jailwright (${current.description})`, {
        hint: 'Move it away or choose another --root: jailwright replaces only jails it built, or an empty directory.',
      });
    }
    const previous = current.kind === 'generation' ? current : undefined;
    const pinned = pinnedGenerations(layout.state);
    await removeLeftovers(layout, new Set([...pinned, ...(previous ? [previous.generation] : [])]));
    const digest = planDigest(plan);
    const previousManifest = previous ? await readManifest(manifestPath(layout, previous.generation)) : undefined;
    if (previous && !options.force) {
      const manifest = previousManifest;
      if (manifest?.planDigest === digest && jailMatchesStamps(previous.directory, manifest) && (await copiedContentUnchanged(manifest))) {
        // Same jail from changed inputs (a file touched, not changed): remember the new stamps for the fast check.
        // (The plan digest holds each source's size and mtime, not its content: a file rewritten with both put back is hashed.)
        await writeManifest(manifestPath(layout, previous.generation), { ...manifest, inputs: options.inputs });
        return {
          changed: false,
          root: layout.root,
          generation: previous.generation,
          manifestPath: manifestPath(layout, previous.generation),
          operations: plan.operations.length,
          bytesCopied: 0,
          previousGeneration: previous.generation,
        };
      }
    }
    const generation = generationName((previous ? (generationNumber(previous.generation) ?? 0) : 0) + 1);
    const staging = posix.join(layout.state, `staging-${process.pid}`);
    // What earlier builds hashed: this host's record, then the previous generation's manifest.
    const recorded = await readHostDigests();
    const known = options.reuseDigests === false ? new Map<string, KnownContent>() : new Map([...recorded, ...(previousManifest ? knownContents(previousManifest) : [])]);
    const { entries, bytesCopied } = await buildTree(staging, plan.operations, known, options.onProgress);
    if (previous) await carryServiceData(previous.directory, staging, entries);
    const manifest: Manifest = {
      format: 1,
      recipe: plan.recipe,
      recipeFile: options.recipeFile,
      generation,
      builtAt: new Date().toISOString(),
      engineVersion: options.engineVersion,
      planDigest: digest,
      notes: plan.notes,
      inputs: options.inputs,
      entries,
    };
    const generationDirectory = posix.join(layout.state, generation);
    await rename(staging, generationDirectory);
    const manifestFile = manifestPath(layout, generation);
    await writeManifest(manifestFile, manifest);
    await rememberHostDigests(manifest, recorded);
    await swapRoot(layout, generation, current.kind === 'empty-directory');
    // A service still running in the previous tree keeps it; a later build removes it once the service is gone.
    if (previous && !pinned.has(previous.generation) && !options.keepPrevious) await removeGeneration(layout, previous.generation);
    return {
      changed: true,
      root: layout.root,
      generation,
      manifestPath: manifestFile,
      operations: plan.operations.length,
      bytesCopied,
      previousGeneration: previous?.generation,
    };
  } finally {
    await lock.release();
  }
}

/**
 * Points the root back at an earlier generation that is still on disk (kept by `keepPrevious` or by a
 * running service), under the build lock, with the same single rename a build uses.
 */
export async function rollBack(root: string, generation: string): Promise<void> {
  assertRoot('rolling a jail back');
  const layout = jailLayout(root);
  const lock = await acquireBuildLock(layout.lock, { waitMs: 30_000 });
  try {
    if (!(await readManifest(manifestPath(layout, generation))) || !(await lstat(posix.join(layout.state, generation)).catch(() => undefined))?.isDirectory()) {
      throw new JailwrightError(`cannot roll ${layout.root} back to ${generation}: that generation is no longer on disk`);
    }
    await swapRoot(layout, generation, false);
  } finally {
    await lock.release();
  }
}

/**
 * The service's data (what it wrote into its log, spool and run directories) is not part of any plan:
 * copy it from the previous generation into the new one before the swap, so a rebuild keeps it.
 */
async function carryServiceData(previous: string, staging: string, entries: readonly ManifestEntry[]): Promise<void> {
  const previousReal = await realpath(previous);
  for (const directory of carriedDataDirectories(entries)) await copyServiceData(previousReal, staging, directory);
}

/**
 * Takes the service's data again from the generation a stopped service last ran in (`from`) into the
 * current one — what it wrote after the swap, or, after a rollback, what the failed generation wrote.
 * Each data directory is filled beside its place and renamed over it, so nothing is written through
 * what the service left in the current generation. Call it only while the service is stopped.
 */
export async function refreshServiceData(root: string, from: string): Promise<void> {
  assertRoot('carrying service data');
  const layout = jailLayout(root);
  const lock = await acquireBuildLock(layout.lock, { waitMs: 30_000 });
  try {
    const current = await currentJail(layout, isEmptyDirectory);
    if (current.kind !== 'generation') return;
    const to = await realpath(current.directory);
    const source = await realpath(from).catch(() => undefined);
    if (!source) return;
    const manifest = await readManifest(manifestPath(layout, current.generation));
    if (!manifest || source === to) return;
    for (const directory of carriedDataDirectories(manifest.entries)) {
      const entry = manifest.entries.find((candidate) => candidate.path === directory) as ManifestEntry;
      const place = posix.join(to, directory);
      const fresh = posix.join(posix.dirname(place), `.${posix.basename(place)}.jailwright-${process.pid}`);
      await rm(fresh, { recursive: true, force: true });
      await mkdir(fresh, { mode: 0o700 });
      const copied = await copyServiceData(source, fresh, '/', directory);
      if (!copied) {
        await rm(fresh, { recursive: true, force: true });
        continue;
      }
      await chown(fresh, entry.uid, entry.gid);
      await chmod(fresh, entry.mode);
      const old = `${fresh}.old`;
      await rename(place, old);
      await rename(fresh, place);
      await rm(old, { recursive: true, force: true });
    }
  } finally {
    await lock.release();
  }
}

/**
 * Copies the contents of `directory` in `fromRoot` into `directory` below `toRoot` (or `toDirectory`) with
 * `cp -a` (owners, modes and times kept, symlinks copied as links, never followed). The directory is taken
 * only when it is a real directory at its real path. False when there was nothing to copy.
 */
async function copyServiceData(fromRoot: string, toRoot: string, toDirectory: string, directory = toDirectory): Promise<boolean> {
  const from = posix.join(fromRoot, directory);
  if ((await realpath(from).catch(() => undefined)) !== from) return false;
  const children = await readdir(from);
  if (children.length === 0) return false;
  await execFileAsync('cp', ['-a', '--no-dereference', '-t', posix.join(toRoot, toDirectory), ...children.map((child) => posix.join(from, child))]).catch(
    (error: { stderr?: string; message: string }) => {
      throw new JailwrightError(`could not carry the service's data in ${directory} over to the new generation: ${error.stderr || error.message}`, {
        hint: `Look at ${from}: the previous generation is left in place.`,
      });
    },
  );
  return true;
}

/** Writes a manifest whole or not at all. */
async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify(manifest)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** The state directory: root-owned, 0711 (the jail under it must stay reachable by path), never a symlink. */
async function prepareStateDirectory(layout: JailLayout): Promise<void> {
  await mkdir(layout.state, { mode: 0o711 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const info = await lstat(layout.state);
  if (!info.isDirectory() || info.uid !== 0 || info.mode & 0o022) {
    throw new JailwrightError(`state directory ${layout.state} is not a root-owned directory writable only by root`, {
      hint: 'Remove it (it holds only jailwright bookkeeping) and build again.',
    });
  }
}

/** Clears what a killed build left: its staging tree, unreferenced generations, half-written manifests. */
async function removeLeftovers(layout: JailLayout, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(layout.state)) {
    const full = posix.join(layout.state, name);
    const generation = name.replace(/\.manifest\.json$/, '');
    if (keep.has(generation)) continue;
    if (name.startsWith('staging-') || name.endsWith('.tmp') || generationNumber(generation) !== undefined) {
      await rm(full, { recursive: true, force: true });
    }
  }
}

async function removeGeneration(layout: JailLayout, generation: string): Promise<void> {
  await rm(manifestPath(layout, generation), { force: true });
  await rm(posix.join(layout.state, generation), { recursive: true, force: true });
}

/** Points the root at the new generation with a single rename of a symlink over the old one. */
async function swapRoot(layout: JailLayout, generation: string, replaceEmptyDirectory: boolean): Promise<void> {
  const next = posix.join(layout.state, 'root.tmp');
  await rm(next, { force: true });
  await symlink(posix.join(posix.basename(layout.state), generation), next);
  if (replaceEmptyDirectory) await rmdir(layout.root);
  await rename(next, layout.root);
}

async function isEmptyDirectory(path: string): Promise<boolean> {
  return (await readdir(path)).length === 0;
}

/**
 * Creates every operation under `staging`. Directories come first (created 0700, given their real
 * mode last so a read-only directory can still be filled); each later path must sit in a directory
 * this build created, so nothing is ever written through a symlink.
 */
async function buildTree(
  staging: string,
  operations: readonly Operation[],
  known: ReadonlyMap<string, KnownContent>,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<{ entries: ManifestEntry[]; bytesCopied: number }> {
  await rm(staging, { recursive: true, force: true });
  const createdDirectories = new Set<string>();
  const entries = new Map<string, ManifestEntry>();
  let done = 0;
  let bytesCopied = 0;
  const report = (): void => onProgress?.(++done, operations.length);

  for (const operation of operations) {
    if (operation.kind !== 'directory') continue;
    if (operation.path !== '/') assertParentCreated(operation.path, createdDirectories);
    await mkdir(posix.join(staging, operation.path), { mode: 0o700 });
    createdDirectories.add(operation.path);
    report();
  }
  const others = operations.filter((operation) => operation.kind !== 'directory');
  await forEachConcurrently(others, PARALLEL_COPIES, async (operation) => {
    assertParentCreated(operation.path, createdDirectories);
    const target = posix.join(staging, operation.path);
    const result = await createEntry(target, operation, known);
    bytesCopied += result.bytes;
    entries.set(operation.path, { ...result.entry, jail: jailStamp(lstatSync(target)) });
    report();
  });
  // Deepest first, so a directory's own mode never blocks finishing the ones inside it.
  for (const operation of [...operations].reverse()) {
    if (operation.kind !== 'directory') continue;
    const target = posix.join(staging, operation.path);
    await chown(target, operation.uid, operation.gid);
    await chmod(target, operation.mode);
    entries.set(operation.path, {
      path: operation.path,
      type: 'directory',
      mode: operation.mode,
      uid: operation.uid,
      gid: operation.gid,
      jail: jailStamp(await lstat(target)),
    });
  }
  return { entries: operations.map((operation) => entries.get(operation.path) as ManifestEntry), bytesCopied };
}

function assertParentCreated(path: string, createdDirectories: ReadonlySet<string>): void {
  const parent = posix.dirname(path);
  if (!createdDirectories.has(parent)) {
    throw new JailwrightError(`internal error: ${path} would be written into ${parent}, which this build did not create as a directory`);
  }
}

async function createEntry(
  target: string,
  operation: Exclude<Operation, { kind: 'directory' }>,
  known: ReadonlyMap<string, KnownContent>,
): Promise<{ entry: Omit<ManifestEntry, 'jail'>; bytes: number }> {
  const base = { path: operation.path, type: entryType(operation) };
  switch (operation.kind) {
    case 'symlink':
      await symlink(operation.target, target);
      await lchown(target, 0, 0);
      return { entry: { ...base, mode: 0o777, uid: 0, gid: 0, target: operation.target }, bytes: 0 };
    case 'device':
      await makeDevice(target, operation);
      return {
        entry: { ...base, mode: operation.mode, uid: operation.uid, gid: operation.gid, major: operation.major, minor: operation.minor },
        bytes: 0,
      };
    case 'write': {
      const content = Buffer.from(operation.content);
      await writeNewFile(target, content, operation);
      return { entry: { ...base, mode: operation.mode, uid: operation.uid, gid: operation.gid, size: content.length, sha256: sha256(content) }, bytes: 0 };
    }
    case 'copy':
      return copyFile(target, operation, known.get(operation.source.path));
  }
}

/**
 * An earlier build's sha256 of this host file, when the file is provably the one it read: the plan saw
 * the same source, and its stamp now is the one recorded before that build read it (ctime moves on
 * any write and cannot be set back). Undefined otherwise, and the file is read and hashed as in a cold build.
 */
function unchangedContent(operation: CopyFile, known: KnownContent | undefined): KnownContent | undefined {
  if (!known) return undefined;
  const [now, then] = [operation.source, known.source];
  const samePlan =
    now.size === then.size && now.mtimeMs === then.mtimeMs && now.ino === then.ino && now.dev === then.dev && now.mode === then.mode && now.uid === then.uid && now.gid === then.gid;
  return samePlan && known.size === now.size && stampOf(now.path, 'lstat') === known.stamp ? known : undefined;
}

async function copyFile(target: string, operation: CopyFile, previous: KnownContent | undefined): Promise<{ entry: Omit<ManifestEntry, 'jail'>; bytes: number }> {
  const source = operation.source;
  const entry = { path: operation.path, type: 'file' as const, mode: operation.mode, uid: operation.uid, gid: operation.gid, source: source };
  const sameAsHost = operation.mode === (source.mode & 0o7777) && operation.uid === source.uid && operation.gid === source.gid;
  const known = unchangedContent(operation, previous);
  if (operation.link === 'hard' && sameAsHost) {
    try {
      await link(source.path, target);
      // Read back, always: linking moves the host file's ctime, so its stamp never matches a previous build's.
      const content = await readFile(target);
      return { entry: { ...entry, size: content.length, sha256: sha256(content), hardLinked: true }, bytes: 0 };
    } catch (error) {
      // A jail on another filesystem than the host file: copy instead.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    }
  }
  if (known) {
    // An unchanged host file an earlier build hashed: a kernel copy, no read into JS, no hash. The stamp is
    // checked again after the copy, so a file changed while it was being copied is read and hashed instead.
    await kernelCopy(source.path, target, constants.COPYFILE_EXCL);
    if (stampOf(source.path, 'lstat') === known.stamp) {
      settleCopy(target, operation, source.mtimeMs / 1000);
      return { entry: { ...entry, size: known.size, sha256: known.sha256 }, bytes: known.size };
    }
    await unlink(target);
  }
  // Read once, then write and hash the same bytes: the manifest describes exactly what was written.
  // (Measured against a kernel copy followed by a read-back for the hash: this is faster.)
  const content = await readFile(source.path);
  await writeNewFile(target, content, operation, source.mtimeMs / 1000);
  return { entry: { ...entry, size: content.length, sha256: sha256(content) }, bytes: content.length };
}

/** Writes a file that must not exist yet, refusing to follow a symlink, then sets owner before mode (chown clears setuid). */
async function writeNewFile(target: string, content: Buffer, operation: CopyFile | WriteFile, mtimeSeconds?: number): Promise<void> {
  const handle = await open(target, OPEN_NEW_FILE, 0o600);
  try {
    await handle.writeFile(content);
    await handle.chown(operation.uid, operation.gid);
    await handle.chmod(operation.mode);
    if (mtimeSeconds !== undefined) await handle.utimes(mtimeSeconds, mtimeSeconds);
  } finally {
    await handle.close();
  }
}

/**
 * Gives a file this build just created (never through a symlink) its owner, then its mode, then its mtime.
 * Synchronous on purpose: four quick syscalls on the main thread cost less than four trips through libuv's
 * thread pool, which the copies themselves keep busy.
 */
function settleCopy(target: string, operation: CopyFile, mtimeSeconds: number): void {
  const descriptor = openSync(target, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    fchownSync(descriptor, operation.uid, operation.gid);
    fchmodSync(descriptor, operation.mode);
    futimesSync(descriptor, mtimeSeconds, mtimeSeconds);
  } finally {
    closeSync(descriptor);
  }
}

async function makeDevice(target: string, operation: MakeDevice): Promise<void> {
  const type = operation.device === 'char' ? 'c' : 'b';
  // Node has no mknod(2); coreutils' mknod is on every host this runs on.
  await execFileAsync('mknod', ['-m', operation.mode.toString(8), target, type, String(operation.major), String(operation.minor)]).catch(
    (error: { stderr?: string; message: string }) => {
      throw new JailwrightError(`mknod ${target} failed: ${error.stderr || error.message}`);
    },
  );
  await chown(target, operation.uid, operation.gid);
  await chmod(target, operation.mode);
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
