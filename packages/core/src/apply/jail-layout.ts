import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { JailwrightError } from '../errors.js';

/**
 * Where a jail and its bookkeeping live. The jail root the user names is a symlink to one complete
 * generation inside a state directory beside it (same filesystem, outside the jail), so a build
 * swaps a whole new tree in with one rename and a killed build leaves the old tree in place.
 *
 *   /srv/jails/demo -> .demo.jailwright/generation-000002
 *   /srv/jails/.demo.jailwright/{lock, generation-000002/, generation-000002.manifest.json}
 */
export interface JailLayout {
  /** The path the user named, e.g. /srv/jails/demo. */
  root: string;
  /** The directory holding the root (must be root-owned and not writable by others). */
  parent: string;
  /** The state directory beside the root. */
  state: string;
  lock: string;
}

const GENERATION = /^generation-(\d{6})$/;

/** The layout for a jail root path. */
export function jailLayout(root: string): JailLayout {
  const absolute = posix.resolve(root);
  if (absolute === '/') throw new JailwrightError('the jail root cannot be "/"');
  const parent = posix.dirname(absolute);
  const state = posix.join(parent, `.${posix.basename(absolute)}.jailwright`);
  return { root: absolute, parent, state, lock: posix.join(state, 'lock') };
}

/** The directory name of generation `number`. */
export function generationName(number: number): string {
  return `generation-${String(number).padStart(6, '0')}`;
}

/** The generation number in a directory name, or undefined. */
export function generationNumber(name: string): number | undefined {
  const match = GENERATION.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The manifest path of a generation: beside it in the state directory, never inside the jail. */
export function manifestPath(layout: JailLayout, generation: string): string {
  return posix.join(layout.state, `${generation}.manifest.json`);
}

/** The manifest jailwright keeps beside a generation directory, or undefined when `directory` is not a generation. */
export function generationManifestPath(directory: string): string | undefined {
  const generation = posix.basename(directory);
  const state = posix.dirname(directory);
  if (generationNumber(generation) === undefined || !/^\..+\.jailwright$/.test(posix.basename(state))) return undefined;
  return posix.join(state, `${generation}.manifest.json`);
}

/** What stands at the jail root path now. */
export type CurrentJail =
  | { kind: 'absent' }
  | { kind: 'generation'; generation: string; directory: string }
  | { kind: 'empty-directory' }
  | { kind: 'foreign'; description: string };

/** Reads what the root path holds: one of our generations, nothing, or something jailwright did not make. */
export async function currentJail(layout: JailLayout, isEmptyDirectory: (path: string) => Promise<boolean>): Promise<CurrentJail> {
  const info = await lstat(layout.root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) return { kind: 'absent' };
  if (info.isSymbolicLink()) {
    const target = await readlink(layout.root);
    const expectedPrefix = `${posix.basename(layout.state)}/`;
    const generation = target.startsWith(expectedPrefix) ? target.slice(expectedPrefix.length) : '';
    if (generationNumber(generation) !== undefined) {
      return { kind: 'generation', generation, directory: posix.join(layout.state, generation) };
    }
    return { kind: 'foreign', description: `a symlink to ${target}` };
  }
  if (info.isDirectory() && (await isEmptyDirectory(layout.root))) return { kind: 'empty-directory' };
  return { kind: 'foreign', description: info.isDirectory() ? 'a non-empty directory' : 'a file' };
}
