import { lstat, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { posix } from 'node:path';

/** jailwright's cache: root's under /var/cache/jailwright, a user's under ~/.cache/jailwright. */
export function cacheDirectory(): string {
  if (process.getuid?.() === 0) return '/var/cache/jailwright';
  return posix.join(process.env.XDG_CACHE_HOME ?? posix.join(homedir(), '.cache'), 'jailwright');
}

/**
 * Where builds keep what they learned about host files (their sha256 by stamp, the symbol check's verdict
 * by jail content): JAILWRIGHT_BUILD_CACHE, default <cache>/build. Only ever a shortcut: a build with an
 * empty or missing cache produces the same jail.
 */
export function buildCacheDirectory(): string {
  return process.env.JAILWRIGHT_BUILD_CACHE || posix.join(cacheDirectory(), 'build');
}

/**
 * Creates `directory` (and its parents) if needed and returns it when it is a real directory owned by this
 * user and writable by no one else; undefined otherwise, so a cache someone else could write is never read.
 */
export async function privateDirectory(directory: string): Promise<string | undefined> {
  await mkdir(directory, { recursive: true, mode: 0o700 }).catch(() => undefined);
  const info = await lstat(directory).catch(() => undefined);
  const owner = process.getuid?.() ?? 0;
  if (!info?.isDirectory() || info.uid !== owner || (info.mode & 0o022) !== 0) return undefined;
  return directory;
}
