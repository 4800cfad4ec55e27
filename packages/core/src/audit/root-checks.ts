import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import { finding, shellQuote, type Finding } from './finding.js';

/** Every directory from "/" down to `path`, outermost first. */
function directoriesDownTo(path: string): string[] {
  const directories = ['/'];
  let current = '/';
  for (const part of path.split('/').filter(Boolean)) {
    current = posix.join(current, part);
    directories.push(current);
  }
  return directories;
}

/**
 * The jail directory and every directory above it, both along the path the user gave and along its
 * real path, must be root's and writable by nobody else: whoever can rename one of them can swap the
 * jail for a tree of their own. Paths in these findings are host paths.
 */
export async function rootChainFindings(givenRoot: string, directory: string): Promise<Finding[]> {
  const candidates = new Set([...directoriesDownTo(posix.dirname(givenRoot)), ...directoriesDownTo(directory)]);
  const findings: Finding[] = [];
  for (const path of [...candidates].sort()) {
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    const role = path === directory ? 'the jail root' : 'a parent of the jail root';
    const mode = info.mode & 0o7777;
    const problems: string[] = [];
    if (info.uid !== 0) problems.push(`owned by uid ${info.uid}, not root`);
    if (mode & 0o022) problems.push(`writable by ${mode & 0o002 ? 'others' : 'its group'} (mode ${mode.toString(8).padStart(4, '0')})`);
    if (problems.length === 0) continue;
    findings.push(
      finding('jail-root-unsafe', path, `${role} is ${problems.join(' and ')}: whoever can write it can rename the jail (or its parents) and swap in a tree of their own`, `chown root:root ${shellQuote(path)} && chmod go-w ${shellQuote(path)}, or move the jail under a root-only directory such as /srv/jails`),
    );
  }
  return findings;
}
