import type { Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { majorOf, minorOf } from '../host/devices.js';
import { JailwrightError } from '../errors.js';

const BLOCK = 512;
/** Largest value an 11-digit octal field holds (sizes, mtimes); 7 digits for ids. */
const OCTAL_11 = 0o77777777777;
const OCTAL_7 = 0o7777777;

/** One path of the tree, as the archive writes it. */
interface TarEntry {
  /** Archive name, relative, no leading "./"; directories end with "/". */
  name: string;
  /** ustar type flag; 'x' is a pax extended header for the entry after it. */
  type: '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Host path of the content (regular files only). */
  source?: string;
}

/** How the archive is made: the one time stamp every entry carries. */
export interface TarOptions {
  /** Seconds since the epoch written as every entry's mtime. */
  mtime: number;
}

/** What a walk left out, and why (sockets cannot be archived; a running service's /dev/log is one). */
export interface TarSkipped {
  path: string;
  reason: string;
}

/** The fixed time stamp of reproducible archives: SOURCE_DATE_EPOCH when set (reproducible-builds.org), else 0. */
export function sourceDateEpoch(environment: NodeJS.ProcessEnv = process.env): number {
  const value = environment.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return 0;
  if (!/^\d+$/.test(value) || Number(value) > OCTAL_11) {
    throw new JailwrightError(`SOURCE_DATE_EPOCH=${JSON.stringify(value)} is not a number of seconds since 1970`, {
      hint: 'Set it to an integer such as $(git log -1 --format=%ct), or unset it (the archive then says 1970-01-01).',
    });
  }
  return Number(value);
}

/** Byte order, not locale order: the same tree sorts the same everywhere. */
function byteOrder(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left), Buffer.from(right));
}

/**
 * Lists a tree depth-first in byte order without following symlinks. A second path of an inode already
 * listed becomes a hard link to the first; a hard link to a file outside the tree (jails made with
 * --link hard share inodes with the host) is a plain file, since its other names are not archived.
 */
async function listTree(directory: string, skipped: TarSkipped[]): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const firstName = new Map<string, string>();
  const visit = async (relative: string): Promise<void> => {
    const names = (await readdir(posix.join(directory, relative))).sort(byteOrder);
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const hostPath = posix.join(directory, path);
      const info = await lstat(hostPath);
      const entry = await describe(path, hostPath, info, firstName, skipped);
      if (entry) entries.push(entry);
      if (info.isDirectory()) await visit(path);
    }
  };
  await visit('');
  return entries;
}

async function describe(path: string, hostPath: string, info: Stats, firstName: Map<string, string>, skipped: TarSkipped[]): Promise<TarEntry | undefined> {
  const base = { name: path, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid, size: 0, linkname: '', devmajor: 0, devminor: 0 };
  if (info.isDirectory()) return { ...base, name: `${path}/`, type: '5' };
  if (info.isSymbolicLink()) return { ...base, type: '2', linkname: await readlink(hostPath) };
  if (info.isCharacterDevice() || info.isBlockDevice()) {
    return { ...base, type: info.isCharacterDevice() ? '3' : '4', devmajor: majorOf(info.rdev), devminor: minorOf(info.rdev) };
  }
  if (info.isFIFO()) return { ...base, type: '6' };
  if (info.isFile()) {
    if (info.nlink > 1) {
      const key = `${info.dev}:${info.ino}`;
      const first = firstName.get(key);
      if (first !== undefined) return { ...base, type: '1', linkname: first };
      firstName.set(key, path);
    }
    return { ...base, type: '0', size: info.size, source: hostPath };
  }
  skipped.push({ path: `/${path}`, reason: info.isSocket() ? 'a socket (made by whatever listens on it, e.g. the syslog relay)' : 'an unknown file type' });
  return undefined;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function writeString(block: Buffer, offset: number, width: number, value: string): void {
  block.write(value, offset, width, 'utf8');
}

/** A pax record: "<length> key=value\n", where length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/** Splits a name into ustar's prefix (155) and name (100) at a slash, or says it does not fit. */
function splitName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let index = name.indexOf('/'); index >= 0; index = name.indexOf('/', index + 1)) {
    const prefix = name.slice(0, index);
    const rest = name.slice(index + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { prefix, name: rest };
  }
  return undefined;
}

function header(entry: TarEntry, mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const split = splitName(entry.name) ?? { prefix: '', name: entry.name.slice(0, 100) };
  writeString(block, 0, 100, split.name);
  writeString(block, 100, 8, octal(entry.mode, 8));
  writeString(block, 108, 8, octal(Math.min(entry.uid, OCTAL_7), 8));
  writeString(block, 116, 8, octal(Math.min(entry.gid, OCTAL_7), 8));
  writeString(block, 124, 12, octal(Math.min(entry.size, OCTAL_11), 12));
  writeString(block, 136, 12, octal(mtime, 12));
  block.fill(' ', 148, 156);
  writeString(block, 156, 1, entry.type);
  writeString(block, 157, 100, entry.linkname.slice(0, 100));
  writeString(block, 257, 8, 'ustar\x0000');
  // uname and gname stay empty: owners are numeric, never looked up by name when unpacked.
  writeString(block, 329, 8, octal(entry.devmajor, 8));
  writeString(block, 337, 8, octal(entry.devminor, 8));
  writeString(block, 345, 155, split.prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** The pax extended header an entry needs (long names or link targets, huge sizes or ids), or none. */
function paxHeader(entry: TarEntry, mtime: number): Buffer[] {
  const records: string[] = [];
  if (!splitName(entry.name)) records.push(paxRecord('path', entry.name));
  if (Buffer.byteLength(entry.linkname) > 100) records.push(paxRecord('linkpath', entry.linkname));
  if (entry.size > OCTAL_11) records.push(paxRecord('size', String(entry.size)));
  if (entry.uid > OCTAL_7) records.push(paxRecord('uid', String(entry.uid)));
  if (entry.gid > OCTAL_7) records.push(paxRecord('gid', String(entry.gid)));
  if (records.length === 0) return [];
  const body = Buffer.from(records.join(''));
  const name = `PaxHeaders/${posix.basename(entry.name).slice(0, 80)}`;
  const extended: TarEntry = { name, type: 'x', mode: 0o644, uid: 0, gid: 0, size: body.length, linkname: '', devmajor: 0, devminor: 0 };
  return [header(extended, mtime), body, padding(body.length)];
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The result of reading a tree into an archive. */
export interface TarStream {
  /** The archive's bytes, in order. */
  chunks: AsyncGenerator<Buffer>;
  /** Paths left out; complete once `chunks` is done. */
  skipped: TarSkipped[];
}

/**
 * A reproducible tar archive of a directory's contents (ustar, pax headers only where ustar cannot say it):
 * entries in byte order, one mtime for all, numeric owners without names, no atime/ctime, modes as they
 * are (setuid and sticky bits included), hard links within the tree as links, devices with their numbers.
 * The directory itself is not an entry; names are relative ("etc/passwd").
 */
export async function tarTree(directory: string, options: TarOptions): Promise<TarStream> {
  const skipped: TarSkipped[] = [];
  const entries = await listTree(directory, skipped);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const entry of entries) {
      yield* paxHeader(entry, options.mtime);
      yield header(entry, options.mtime);
      if (entry.type !== '0' || !entry.source) continue;
      let written = 0;
      for await (const chunk of createReadStream(entry.source, { end: entry.size === 0 ? undefined : entry.size - 1 }) as AsyncIterable<Buffer>) {
        if (entry.size === 0) break;
        written += chunk.length;
        yield chunk;
      }
      if (written !== entry.size) {
        throw new JailwrightError(`/${entry.name} changed size while it was archived (${entry.size} bytes listed, ${written} read)`, {
          exitCode: 3,
          hint: 'Stop what writes to the jail (jailwright stop), then export again.',
        });
      }
      yield padding(entry.size);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return { chunks: chunks(), skipped };
}
