import { posix } from 'node:path';
import { JailwrightError } from '../errors.js';
import type { MakeDirectory, Operation } from './types.js';

/** Directories the engine creates without being told how: root-owned and 0755, like the article's `chmod 755 -R`. */
const DEFAULT_DIRECTORY = { mode: 0o755, uid: 0, gid: 0 } as const;
const MAX_SYMLINK_HOPS = 40;

/**
 * The jail being planned, one operation per jail path. It refuses two different things at one path,
 * and resolves jail paths through the symlinks already planned, so `/var/run/x` lands in `/run/x`
 * when the jail has `/var/run -> ../run`.
 */
export class JailTree {
  readonly #operations = new Map<string, Operation>();
  /** Directories the recipe named itself: their mode and owner win over mirrored host directories. */
  readonly #explicitDirectories = new Set<string>();

  /** The operation planned at a jail path, if any. */
  get(path: string): Operation | undefined {
    return this.#operations.get(path);
  }

  /** Adds an operation, refusing a different operation already planned at the same path. */
  add(operation: Operation): void {
    const existing = this.#operations.get(operation.path);
    if (existing === undefined) {
      this.#operations.set(operation.path, operation);
      return;
    }
    if (existing.kind === 'directory' && operation.kind === 'directory') return;
    if (sameOperation(existing, operation)) return;
    throw new JailwrightError(
      `two different things would be placed at ${operation.path} in the jail:\n` +
        `  ${describe(existing)} (${existing.reason})\n  ${describe(operation)} (${operation.reason})`,
      { hint: 'Remove one of them from the recipe, or give one a different `to:` path.' },
    );
  }

  /** Adds a directory that mirrors a host directory, unless the recipe already said how it should be. */
  addMirroredDirectory(directory: MakeDirectory): void {
    const existing = this.#operations.get(directory.path);
    if (existing?.kind === 'directory') return;
    this.add(directory);
  }

  /** Adds a directory the recipe named: its mode and owner replace a mirrored or default one. */
  addExplicitDirectory(directory: MakeDirectory): void {
    const existing = this.#operations.get(directory.path);
    if (existing !== undefined && existing.kind !== 'directory') this.add(directory);
    if (this.#explicitDirectories.has(directory.path) && existing?.kind === 'directory') {
      if (existing.mode !== directory.mode || existing.uid !== directory.uid || existing.gid !== directory.gid) {
        throw new JailwrightError(`directory ${directory.path} is given twice with different mode or owner (${existing.reason}; ${directory.reason})`);
      }
    }
    this.#explicitDirectories.add(directory.path);
    this.#operations.set(directory.path, directory);
  }

  /**
   * Resolves a jail path through the symlinks planned so far (all but the last component),
   * so a new entry is placed where a process inside the jail would find it.
   */
  resolveParents(path: string): string {
    let hops = 0;
    let pending = path.split('/').filter(Boolean);
    let resolved = '/';
    while (pending.length > 1) {
      const [head, ...rest] = pending as [string, ...string[]];
      const candidate = posix.join(resolved, head);
      const operation = this.#operations.get(candidate);
      if (operation?.kind === 'symlink') {
        if (++hops > MAX_SYMLINK_HOPS) throw new JailwrightError(`too many levels of symbolic links resolving ${path} inside the jail`);
        const target = posix.resolve(posix.dirname(candidate), operation.target);
        pending = [...target.split('/').filter(Boolean), ...rest];
        resolved = '/';
        continue;
      }
      resolved = candidate;
      pending = rest;
    }
    return posix.join(resolved, pending[0] ?? '');
  }

  /** Adds root-owned 0755 directories for every missing ancestor of a jail path. */
  ensureParents(path: string, reason: string): void {
    let current = posix.dirname(path);
    const missing: string[] = [];
    while (current !== '/' && !this.#operations.has(current)) {
      missing.push(current);
      current = posix.dirname(current);
    }
    for (const directory of missing) {
      this.add({ kind: 'directory', path: directory, reason, ...DEFAULT_DIRECTORY });
    }
  }

  /** Every operation, parents before children, in a stable order. */
  operations(): Operation[] {
    return [...this.#operations.values()].sort((left, right) => comparePaths(left.path, right.path));
  }
}

/** Orders jail paths component by component, so a directory always precedes what it holds. */
export function comparePaths(left: string, right: string): number {
  const leftParts = left.split('/');
  const rightParts = right.split('/');
  const length = Math.min(leftParts.length, rightParts.length);
  for (let index = 0; index < length; index += 1) {
    const a = leftParts[index] as string;
    const b = rightParts[index] as string;
    if (a !== b) return a < b ? -1 : 1;
  }
  return leftParts.length - rightParts.length;
}

function sameOperation(left: Operation, right: Operation): boolean {
  const { reason: _left, ...leftRest } = left;
  const { reason: _right, ...rightRest } = right;
  return JSON.stringify(leftRest) === JSON.stringify(rightRest);
}

function describe(operation: Operation): string {
  switch (operation.kind) {
    case 'copy':
      return `a copy of host ${operation.source.path}`;
    case 'symlink':
      return `a symlink to ${operation.target}`;
    case 'directory':
      return 'a directory';
    case 'device':
      return `a ${operation.device} device ${operation.major},${operation.minor}`;
    case 'write':
      return 'a generated file';
  }
}
