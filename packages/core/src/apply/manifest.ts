import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstatSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { majorOf, minorOf } from '../host/devices.js';
import type { InputStamp } from '../host/input-stamps.js';
import type { Operation, Plan, SourceStamp } from '../plan/types.js';
import type { RecipeSelection } from '../recipe/selection.js';

/** The stat fields of a jail path recorded after the build, so a rebuild notices any change without reading content. */
export interface JailStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** One path of a built jail. */
export interface ManifestEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'char' | 'block';
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  /** The host file it was copied or linked from. */
  source?: SourceStamp;
  /** True when the jail path is a hard link to the host file. */
  hardLinked?: boolean;
  target?: string;
  major?: number;
  minor?: number;
  jail: JailStamp;
}

/** What a build read: when all of it is unchanged, the same build would produce the same jail. */
export interface BuildInputs {
  recipeSha256: string;
  engineVersion: string;
  /** The --link override given to the build, if any. */
  link: 'copy' | 'hard' | null;
  /** Every host path the plan consulted, with its stamp then. */
  paths: InputStamp[];
  /** The variant and option values the jail was built with (absent: the recipe's top level and defaults); later commands use the same. */
  selection?: RecipeSelection | undefined;
}

/** The record of one jail generation, kept beside it in the state directory, outside the jail. */
export interface Manifest {
  format: 1;
  recipe: string;
  recipeFile?: string | undefined;
  generation: string;
  builtAt: string;
  engineVersion: string;
  /** sha256 of the planned operations: equal digests mean the recipe and the host files it reads are unchanged. */
  planDigest: string;
  notes: string[];
  inputs: BuildInputs;
  entries: ManifestEntry[];
}

/** A digest of what a plan would build, ignoring why each path is there. */
export function planDigest(plan: Plan): string {
  const hash = createHash('sha256');
  for (const operation of plan.operations) {
    const { reason: _reason, ...rest } = operation;
    hash.update(JSON.stringify(rest));
    hash.update('\n');
  }
  return hash.digest('hex');
}

/** The stamp of a jail path as it is now. */
export function jailStamp(info: Stats): JailStamp {
  return { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
}

/** The stamps the build recorded before reading, of the host paths it lstat'ed (a copied file's source among them), by path. */
export function recordedLstatStamps(manifest: Manifest): Map<string, string> {
  const stamps = new Map<string, string>();
  for (const [path, kind, stamp] of manifest.inputs?.paths ?? []) if (kind === 'lstat' && stamp !== null) stamps.set(path, stamp);
  return stamps;
}

/** The manifest entry type of an operation. */
export function entryType(operation: Operation): ManifestEntry['type'] {
  switch (operation.kind) {
    case 'copy':
    case 'write':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'device':
      return operation.device;
  }
}

/** Reads a manifest, or undefined when it is missing or unreadable. */
export async function readManifest(path: string): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
    return manifest.format === 1 ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when every path of the jail still has the stamp the manifest recorded: nothing was replaced,
 * chmod'ed, chown'ed or rewritten since the build (ctime moves on any of those, and cannot be set back).
 */
export function jailMatchesStamps(directory: string, manifest: Manifest): boolean {
  return manifest.entries.every((entry) => {
    const info = lstatSync(posix.join(directory, entry.path), { throwIfNoEntry: false });
    if (!info || typeOf(info) !== entry.type) return false;
    if ((info.mode & 0o7777) !== entry.mode && entry.type !== 'symlink') return false;
    if (info.uid !== entry.uid || info.gid !== entry.gid) return false;
    if (entry.type === 'directory') return true;
    // A hard-linked file is the host's own inode: its ctime moves whenever any jail links or unlinks it.
    const ctimeHolds = entry.hardLinked === true || info.ctimeMs === entry.jail.ctimeMs;
    return info.ino === entry.jail.ino && info.size === entry.jail.size && info.mtimeMs === entry.jail.mtimeMs && ctimeHolds;
  });
}

/** One way a jail differs from its manifest. */
export interface Drift {
  path: string;
  change: 'added' | 'removed' | 'type' | 'content' | 'mode' | 'owner' | 'target' | 'device';
  detail: string;
}

/**
 * Compares a jail tree with its manifest by content (sha256), type, mode, owner, link target and device
 * numbers. What lies below `ignoreContentsOf` (the service's data directories) is not walked.
 */
export async function compareWithManifest(directory: string, manifest: Manifest, ignoreContentsOf: readonly string[] = []): Promise<Drift[]> {
  const drift: Drift[] = [];
  const expected = new Map(manifest.entries.map((entry) => [entry.path, entry]));
  const skipped = new Set(ignoreContentsOf);
  for (const path of await walk(directory, '/', skipped)) {
    if (!expected.has(path)) drift.push({ path, change: 'added', detail: 'not in the manifest' });
  }
  for (const entry of manifest.entries) {
    if ([...skipped].some((skip) => entry.path.startsWith(`${skip}/`))) continue;
    const full = posix.join(directory, entry.path);
    const info = await lstat(full).catch(() => undefined);
    if (!info) {
      drift.push({ path: entry.path, change: 'removed', detail: `${entry.type} missing` });
      continue;
    }
    const type = typeOf(info);
    if (type !== entry.type) {
      drift.push({ path: entry.path, change: 'type', detail: `${entry.type} became ${type}` });
      continue;
    }
    if (type !== 'symlink' && (info.mode & 0o7777) !== entry.mode) {
      drift.push({ path: entry.path, change: 'mode', detail: `${octal(entry.mode)} became ${octal(info.mode & 0o7777)}` });
    }
    if (info.uid !== entry.uid || info.gid !== entry.gid) {
      drift.push({ path: entry.path, change: 'owner', detail: `${entry.uid}:${entry.gid} became ${info.uid}:${info.gid}` });
    }
    if (type === 'file' && entry.sha256 !== undefined) {
      const sha256 = createHash('sha256').update(await readFile(full)).digest('hex');
      if (sha256 !== entry.sha256) drift.push({ path: entry.path, change: 'content', detail: `sha256 ${entry.sha256} became ${sha256}` });
    }
    if (type === 'symlink') {
      const target = await readlink(full);
      if (target !== entry.target) drift.push({ path: entry.path, change: 'target', detail: `-> ${entry.target} became -> ${target}` });
    }
    if ((type === 'char' || type === 'block') && (majorOf(info.rdev) !== entry.major || minorOf(info.rdev) !== entry.minor)) {
      drift.push({ path: entry.path, change: 'device', detail: `${entry.major},${entry.minor} became ${majorOf(info.rdev)},${minorOf(info.rdev)}` });
    }
  }
  return drift;
}

async function walk(directory: string, relative: string, skipped: ReadonlySet<string>): Promise<string[]> {
  const paths = [relative];
  if (skipped.has(relative)) return paths;
  for (const entry of await readdir(posix.join(directory, relative), { withFileTypes: true })) {
    const child = posix.join(relative, entry.name);
    if (entry.isDirectory()) paths.push(...(await walk(directory, child, skipped)));
    else paths.push(child);
  }
  return paths;
}

function typeOf(info: Stats): ManifestEntry['type'] | 'other' {
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isDirectory()) return 'directory';
  if (info.isFile()) return 'file';
  if (info.isCharacterDevice()) return 'char';
  if (info.isBlockDevice()) return 'block';
  return 'other';
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
