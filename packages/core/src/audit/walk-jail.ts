import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';

/** One path of the jail tree, as lstat saw it (symlinks are never followed). */
export interface JailEntry {
  /** The path inside the jail, e.g. `/usr/bin/id`; the jail root is `/`. */
  path: string;
  /** The same path on the host. */
  hostPath: string;
  info: Stats;
}

/** What a walk found, and where it could not look. */
export interface JailWalk {
  entries: JailEntry[];
  /** Directories it could not read, with the error. */
  unreadable: { path: string; error: string }[];
}

/**
 * Lists every path below `directory` with lstat, depth first in name order. Directories whose host
 * path is in `skip` (kernel filesystems mounted inside) are listed but not entered.
 */
export async function walkJail(directory: string, skip: ReadonlySet<string> = new Set()): Promise<JailWalk> {
  const walk: JailWalk = { entries: [], unreadable: [] };
  const visit = async (path: string, hostPath: string, info: Stats): Promise<void> => {
    walk.entries.push({ path, hostPath, info });
    if (!info.isDirectory() || skip.has(hostPath)) return;
    let names: string[];
    try {
      names = (await readdir(hostPath)).sort();
    } catch (error) {
      walk.unreadable.push({ path, error: (error as NodeJS.ErrnoException).code ?? String(error) });
      return;
    }
    for (const name of names) {
      const childHost = posix.join(hostPath, name);
      const child = await lstat(childHost).catch(() => undefined);
      // Gone between readdir and lstat: the tree is changing under the audit; what is gone cannot be judged.
      if (child) await visit(posix.join(path, name), childHost, child);
    }
  };
  await visit('/', directory, await lstat(directory));
  return walk;
}
