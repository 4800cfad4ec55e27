import { posix } from 'node:path';

/** Kernel filesystems: the launcher mounts them when a service needs them; copying from them is meaningless and writing a path under them into a jail would shadow the mount. */
const FORBIDDEN_ROOTS = ['/proc', '/sys'] as const;

/** Why `value` cannot name a place inside the jail root, or undefined when it can. */
export function jailPathProblem(value: string): string | undefined {
  const shown = JSON.stringify(value);
  if (value === '') return 'path is empty: give an absolute path such as "/etc/passwd"';
  if (value.includes('\0')) return `path ${shown} contains a NUL character`;
  if (!value.startsWith('/')) {
    return `path ${shown} is not absolute: paths name places inside the jail root, so write "/${value.replace(/^(\.\/)+/, '')}"`;
  }
  if (value === '/') return 'path "/" is the jail root itself: name a file or directory inside it';
  if (value.includes('//')) return `path ${shown} contains "//": write it normalized as ${JSON.stringify(posix.normalize(value))}`;
  const segments = value.split('/').slice(1);
  if (segments.includes('..')) {
    return `path ${shown} would escape the jail root: a ".." segment can climb out of the jail, so write the path without it`;
  }
  if (segments.includes('.') || value.endsWith('/')) {
    return `path ${shown} is not normalized: write it as ${JSON.stringify(posix.normalize(value).replace(/(.)\/$/, '$1'))}`;
  }
  for (const root of FORBIDDEN_ROOTS) {
    if (value === root || value.startsWith(`${root}/`)) {
      return `path ${shown} is not allowed: ${root} is a kernel filesystem — never copy from it or write into it; the launcher mounts ${root} in the jail when a service needs it`;
    }
  }
  return undefined;
}

/** Why a symlink at `linkPath` pointing at `target` would climb above the jail root, or undefined when it stays inside. */
export function symlinkTargetProblem(linkPath: string, target: string): string | undefined {
  if (target === '') return 'symlink target is empty';
  if (target.includes('\0')) return `symlink target ${JSON.stringify(target)} contains a NUL character`;
  const start = target.startsWith('/') ? [] : posix.dirname(linkPath).split('/').filter(Boolean);
  let depth = start.length;
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      depth -= 1;
      if (depth < 0) {
        return `symlink target ${JSON.stringify(target)} would escape the jail root: resolved from ${JSON.stringify(posix.dirname(linkPath))}, its ".." segments climb above "/"`;
      }
    } else {
      depth += 1;
    }
  }
  return undefined;
}
