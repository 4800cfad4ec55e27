import { posix } from 'node:path';
import type { ManifestEntry } from '../apply/manifest.js';

/**
 * The directories whose contents belong to the service, not to the build: a directory of the jail the
 * service can write (owned by a non-root account, group-writable by a non-root group, or writable by
 * everyone — the recipe's log, spool and run directories, a sticky /tmp). The directory itself is the
 * build's (verify checks its type, mode and owner); what the service writes inside it is its data, which
 * verify does not count as drift and a rebuild carries into the new generation.
 */
export function serviceDataDirectories(entries: readonly ManifestEntry[]): string[] {
  return entries
    .filter((entry) => entry.type === 'directory' && entry.path !== '/')
    .filter((entry) => entry.uid !== 0 || (entry.gid !== 0 && entry.mode & 0o020) || entry.mode & 0o002)
    .map((entry) => entry.path)
    .sort();
}

/**
 * Directories whose contents live only as long as the running service (FHS: /run and /tmp are emptied at
 * boot): a rebuild never carries them, so a stale pid or lock file of the last run cannot stop the next start.
 */
const VOLATILE = ['/run', '/var/run', '/var/lock', '/tmp'];

/** The service data a new generation takes over from the previous one: the outermost data directories, less the volatile. */
export function carriedDataDirectories(entries: readonly ManifestEntry[]): string[] {
  const volatile = (path: string) => VOLATILE.some((root) => path === root || path.startsWith(`${root}/`));
  return outermost(serviceDataDirectories(entries).filter((path) => !volatile(path)));
}

/** True when `path` lies strictly below one of `directories`. */
export function isBelowAny(path: string, directories: readonly string[]): boolean {
  return directories.some((directory) => path.startsWith(directory === '/' ? '/' : `${directory}/`) && path !== directory);
}

/** The outermost of `directories`: a data directory inside another is carried over with it. */
export function outermost(directories: readonly string[]): string[] {
  return directories.filter((directory) => !isBelowAny(directory, directories.filter((other) => other !== directory))).map((directory) => posix.normalize(directory));
}
