/**
 * The sha256 of host files that builds on this host already read, with the stamp each file had then.
 * A build copies such a file with a kernel copy and takes its sha256 from here instead of reading 65 MB
 * into memory to hash it again: from the previous generation's manifest for a rebuild or an update, and
 * from the host-wide record in the build cache for the first build of another jail. Every entry is used
 * only while the file still has the recorded stamp (inode, size, mtime, ctime, mode, owner; ctime moves
 * on any write and cannot be set back), checked again after the copy.
 */
import { posix } from 'node:path';
import { buildCacheDirectory, privateDirectory, readCacheFile, writeCacheFile } from '../cache-directory.js';
import { hashRegularFile } from '../host/file-hash.js';
import { stampOf } from '../host/input-stamps.js';
import type { CopyFile } from '../plan/types.js';
import { type Manifest, recordedLstatStamps } from './manifest.js';

/**
 * A host file an earlier build copied, with the sha256 and size it recorded and the host file's full stamp
 * taken before that build read it.
 */
export interface KnownContent {
  source: CopyFile['source'];
  stamp: string;
  size: number;
  sha256: string;
}

const FILE = 'host-digests.json';
const FORMAT = 1;
/** Beyond this many paths the record starts over from the latest build: a cache, not an archive. */
const MAX_ENTRIES = 20_000;

/** The host files of a generation whose content its manifest records, by host path. */
export function knownContents(manifest: Manifest): Map<string, KnownContent> {
  const stamps = recordedLstatStamps(manifest);
  const known = new Map<string, KnownContent>();
  for (const entry of manifest.entries) {
    const stamp = entry.source && stamps.get(entry.source.path);
    if (entry.type !== 'file' || !entry.source || entry.hardLinked || !stamp || entry.sha256 === undefined || entry.size === undefined) continue;
    known.set(entry.source.path, { source: entry.source, stamp, size: entry.size, sha256: entry.sha256 });
  }
  return known;
}

/**
 * Whether every host file a generation copied still has the content its manifest records. A file with the
 * stamp recorded before the build read it is unchanged without reading; any other (touched, or rewritten with
 * its size and mtime put back, which only ctime shows) is read and hashed. Hard-linked files are the jail's
 * own inodes, which the jail's stamps already cover.
 */
export async function copiedContentUnchanged(manifest: Manifest): Promise<boolean> {
  const stamps = recordedLstatStamps(manifest);
  for (const entry of manifest.entries) {
    if (entry.type !== 'file' || !entry.source || entry.hardLinked || entry.sha256 === undefined) continue;
    const recorded = stamps.get(entry.source.path);
    if (recorded !== undefined && stampOf(entry.source.path, 'lstat') === recorded) continue;
    if ((await hashRegularFile(entry.source.path)) !== entry.sha256) return false;
  }
  return true;
}

/** The host-wide record (empty when there is none, it is unreadable or corrupt, or its directory is not private). */
export async function readHostDigests(): Promise<Map<string, KnownContent>> {
  const directory = await privateDirectory(buildCacheDirectory());
  if (!directory) return new Map();
  const record = await readCacheFile(posix.join(directory, FILE), (bytes) => JSON.parse(bytes.toString('utf8')) as { format?: number; entries?: unknown } | null);
  if (record?.format !== FORMAT || typeof record.entries !== 'object' || record.entries === null) return new Map();
  return new Map(Object.entries(record.entries).filter((pair): pair is [string, KnownContent] => isKnownContent(pair[0], pair[1])));
}

/**
 * Adds what a new generation read to the host-wide record as this build read it (`recorded`), written whole
 * or not at all. Two builds at once may each drop the other's additions, which only costs a later build a
 * read. Never fails a build.
 */
export async function rememberHostDigests(manifest: Manifest, recorded: ReadonlyMap<string, KnownContent>): Promise<void> {
  const learned = knownContents(manifest);
  if (learned.size === 0) return;
  const directory = await privateDirectory(buildCacheDirectory());
  if (!directory) return;
  const merged = recorded.size + learned.size > MAX_ENTRIES ? learned : new Map([...recorded, ...learned]);
  await writeCacheFile(posix.join(directory, FILE), JSON.stringify({ format: FORMAT, entries: Object.fromEntries(merged) }));
}

function isKnownContent(path: string, entry: unknown): entry is KnownContent {
  const value = entry as Partial<KnownContent> | null;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof value.stamp === 'string' &&
    typeof value.size === 'number' &&
    typeof value.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(value.sha256) &&
    typeof value.source === 'object' &&
    value.source !== null &&
    value.source.path === path
  );
}
