import { execa } from 'execa';

/**
 * The Debian package owning each host path, asked of dpkg once for all of them (`dpkg-query -S a b c`).
 * A path dpkg does not know under its own name is also tried under the aliases a merged /usr gives it
 * (dpkg records /lib/x86_64-linux-gnu/libc.so.6, the resolver may have found /usr/lib/...).
 * Returns undefined when dpkg-query is not on this host.
 */
export async function owningPackages(paths: readonly string[], realPaths: ReadonlyMap<string, string> = new Map()): Promise<Map<string, string> | undefined> {
  if (paths.length === 0) return new Map();
  const aliases = new Map<string, string[]>();
  for (const path of paths) aliases.set(path, [...new Set([path, realPaths.get(path) ?? path, ...mergedUsrAliases(path), ...mergedUsrAliases(realPaths.get(path) ?? path)])]);
  const asked = [...new Set([...aliases.values()].flat())];
  const result = await execa('dpkg-query', ['-S', ...asked], { reject: false, env: { LC_ALL: 'C' } });
  // No exit code: dpkg-query could not run (not a Debian host). 1 only means some path has no owner.
  if (result.exitCode !== 0 && result.exitCode !== 1) return undefined;
  const owner = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    if (line.startsWith('diversion ')) continue;
    const separator = line.indexOf(': ');
    if (separator < 0) continue;
    owner.set(line.slice(separator + 2), line.slice(0, separator));
  }
  const packages = new Map<string, string>();
  for (const [path, candidates] of aliases) {
    const found = candidates.map((candidate) => owner.get(candidate)).find((name) => name !== undefined);
    if (found) packages.set(path, found);
  }
  return packages;
}

function mergedUsrAliases(path: string): string[] {
  const match = /^\/usr(\/(?:lib\w*|bin|sbin)\/.*)$/.exec(path);
  if (match) return [match[1] as string];
  return /^\/(?:lib\w*|bin|sbin)\//.test(path) ? [`/usr${path}`] : [];
}
