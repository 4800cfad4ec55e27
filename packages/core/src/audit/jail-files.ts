import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';

const MAX_SYMLINKS = 40;

/**
 * Where `jailPath` leads as a process chrooted in `directory` sees it: symlinks are followed inside
 * the jail (an absolute target starts again at the jail root, ".." stops at it), never out of it.
 * Returns the host path of what it names, or undefined when a component is missing or loops.
 */
export async function resolveInJail(directory: string, jailPath: string): Promise<string | undefined> {
  const pending = jailPath.split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = posix.join(directory, ...resolved, name);
    const info = await lstat(hostPath).catch(() => undefined);
    if (!info) return undefined;
    if (info.isSymbolicLink()) {
      links += 1;
      if (links > MAX_SYMLINKS) return undefined;
      const target = await readlink(hostPath);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    resolved.push(name);
  }
  return posix.join(directory, ...resolved);
}

/**
 * Reads a regular file of the jail by its jail path (symlinks followed inside the jail only), or
 * undefined when it is missing or not a regular file. At most `limit` bytes are read.
 */
export async function readJailFile(directory: string, jailPath: string, limit = 4 * 1024 * 1024): Promise<Buffer | undefined> {
  const hostPath = await resolveInJail(directory, jailPath);
  return hostPath === undefined ? undefined : readRegularFile(hostPath, limit);
}

/**
 * Reads up to `limit` bytes of a regular file without following a symlink in its last component and
 * without blocking on a FIFO put there meanwhile; undefined when it is not a regular file or unreadable.
 */
export async function readRegularFile(hostPath: string, limit: number): Promise<Buffer | undefined> {
  const handle = await open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    const length = Math.min(info.size, limit);
    const buffer = Buffer.alloc(length);
    let offset = 0;
    while (offset < length) {
      const { bytesRead } = await handle.read(buffer, offset, length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return buffer.subarray(0, offset);
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}


/** True when the bytes start with the ELF magic number. */
export function isElf(head: Buffer | undefined): boolean {
  return head !== undefined && head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}
