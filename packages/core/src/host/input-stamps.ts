import { lstatSync, statSync } from 'node:fs';

/** How a path was consulted: `lstat` (the link itself) or `stat` (what it leads to). */
export type StampKind = 'lstat' | 'stat';

/** A recorded host input: its path, how it was read, and its stamp then (null when it did not exist). */
export type InputStamp = [path: string, kind: StampKind, stamp: string | null];

/**
 * The stamp of a host path: inode, size, mtime, ctime, mode and owner. ctime moves on every content,
 * mode or owner change and cannot be set back from user space, so an equal stamp means an unchanged file.
 * Synchronous on purpose: an up-to-date check stamps hundreds of paths, and the sync calls are far cheaper.
 */
export function stampOf(path: string, kind: StampKind): string | null {
  const info = kind === 'lstat' ? lstatSync(path, { throwIfNoEntry: false }) : safeStat(path);
  if (!info) return null;
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.mode}:${info.uid}:${info.gid}`;
}

/** Stamps every consulted path, in a stable order. */
export function stampInputs(consulted: Iterable<[path: string, kind: StampKind]>): InputStamp[] {
  return [...consulted]
    .sort(([leftPath, leftKind], [rightPath, rightKind]) => (leftPath === rightPath ? leftKind.localeCompare(rightKind) : leftPath < rightPath ? -1 : 1))
    .map(([path, kind]) => [path, kind, stampOf(path, kind)]);
}

/** True when every recorded input still has its stamp. */
export function inputsUnchanged(inputs: readonly InputStamp[]): boolean {
  return inputs.every(([path, kind, stamp]) => stampOf(path, kind) === stamp);
}

function safeStat(path: string) {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR, ELOOP and the like: for an input, "not there" is what matters.
    return undefined;
  }
}
