import { randomBytes } from 'node:crypto';
import { constants, statSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINE_VERSION } from './version.js';

/** jailwright's cache: root's under /var/cache/jailwright, a user's under ~/.cache/jailwright. */
export function cacheDirectory(): string {
  if (process.getuid?.() === 0) return '/var/cache/jailwright';
  return posix.join(process.env.XDG_CACHE_HOME ?? posix.join(homedir(), '.cache'), 'jailwright');
}

/**
 * Where builds keep what they learned about host files (their sha256 by stamp, the symbol check's verdict by
 * jail content, validated recipes): JAILWRIGHT_BUILD_CACHE, default <cache>/build. Only ever a shortcut: a
 * build with an empty, missing, corrupt or untrustworthy cache produces the same jail.
 */
export function buildCacheDirectory(): string {
  return process.env.JAILWRIGHT_BUILD_CACHE || posix.join(cacheDirectory(), 'build');
}

/**
 * What identifies the engine's code in cache keys: its version and the time this module was installed or
 * built, so a development build that changed the schema or the ELF reader without a new version number
 * never reads what the previous build cached.
 */
export const ENGINE_BUILD: string = `${ENGINE_VERSION}+${engineBuildTime()}`;

function engineBuildTime(): number {
  try {
    return statSync(fileURLToPath(import.meta.url)).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Returns `directory`, created (0700) where missing, when it and every directory above it can be trusted:
 * a real directory owned by this user or root that no one else can write — or, above it, a sticky one such
 * as /tmp, where no one can rename or remove what they do not own. Undefined otherwise, without creating
 * anything below the first untrusted directory: nobody else can put a file in the cache or swap a directory
 * on its path, and a cache that fails the test is simply not used (a symlink on the path turns it off too).
 */
export async function privateDirectory(directory: string): Promise<string | undefined> {
  const absolute = posix.resolve(directory);
  const owner = process.getuid?.() ?? 0;
  const parts = absolute.split('/').filter(Boolean);
  let current = '/';
  for (const [index, part] of ['', ...parts].entries()) {
    current = posix.join(current, part);
    let info = await lstat(current).catch(() => undefined);
    if (!info) {
      await mkdir(current, { mode: 0o700 }).catch(() => undefined);
      info = await lstat(current).catch(() => undefined);
    }
    if (!info?.isDirectory() || (info.uid !== owner && info.uid !== 0)) return undefined;
    const last = index === parts.length;
    const sticky = (info.mode & 0o1000) !== 0;
    if ((info.mode & 0o022) !== 0 && (last || !sticky)) return undefined;
  }
  return absolute;
}

/** The content of a cache file, parsed; undefined when it is missing, a symlink, unreadable or fails `parse`. */
export async function readCacheFile<T>(file: string, parse: (bytes: Buffer) => T): Promise<T | undefined> {
  try {
    return parse(await readFile(file, { flag: constants.O_RDONLY | constants.O_NOFOLLOW }));
  } catch {
    return undefined;
  }
}

/**
 * Writes a cache file whole or not at all: into a temporary file of its own (never one another writer uses),
 * then renamed over the file, so a reader sees the old content or the new, never half. Never throws.
 */
export async function writeCacheFile(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data, { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
  } catch {
    await unlink(temporary).catch(() => undefined);
  }
}

/**
 * Keeps a cache directory of one-file entries (validated recipes, symbol verdicts) to at most `keep` files:
 * past that, the least recently written are removed until a fifth of the room is free again. Called after a
 * new entry is written, so it costs a directory listing only when something new was learned. Never throws.
 */
export async function pruneCacheDirectory(directory: string, keep = 1000): Promise<void> {
  try {
    const names = (await readdir(directory)).filter((name) => !name.endsWith('.tmp'));
    if (names.length <= keep) return;
    const aged = await Promise.all(names.map(async (name) => ({ name, mtimeMs: (await lstat(posix.join(directory, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
    aged.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { name } of aged.slice(0, names.length - Math.floor(keep * 0.8))) await unlink(posix.join(directory, name)).catch(() => undefined);
  } catch {
    // A cache that cannot be listed is only a cache.
  }
}

