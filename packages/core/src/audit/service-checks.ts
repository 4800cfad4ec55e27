import { posix } from 'node:path';
import type { AuditContext } from './context.js';
import { finding, shellQuote, type Finding } from './finding.js';
import type { JailEntry } from './walk-jail.js';

/** Trees whose files root (or the loader on root's behalf) executes or reads before and while the service drops privileges. */
const TRUSTED_TREES = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr', '/etc', '/dev', '/boot'];
const LOADER_NAME = /^(ld\.so(\..*)?|ld-linux.*\.so.*|ld-musl-.*\.so.*)$/;

/**
 * The jail paths root later executes or reads: the system trees, loader files, and every directory on
 * the way to them (whoever can rename a directory can swap what is below it). A service's data
 * directories elsewhere (/var, /srv, /tmp) are not in it.
 */
export function trustedPaths(entries: readonly JailEntry[]): Set<string> {
  const trusted = new Set<string>();
  for (const { path } of entries) {
    if (path === '/') continue;
    const inTree = TRUSTED_TREES.some((tree) => path === tree || path.startsWith(`${tree}/`));
    if (inTree || LOADER_NAME.test(posix.basename(path))) {
      for (let current = path; current !== '/' && !trusted.has(current); current = posix.dirname(current)) trusted.add(current);
    }
  }
  return trusted;
}

/** Files and directories root relies on that the service user owns or can write. */
export function serviceWritableFindings(entry: JailEntry, context: AuditContext): Finding[] {
  const { info, path } = entry;
  if (!context.trusted.has(path) || !(info.isFile() || info.isDirectory())) return [];
  const host = shellQuote(entry.hostPath);
  const { serviceUids, serviceGids } = context.accounts;
  const mode = info.mode & 0o7777;
  const modeText = mode.toString(8).padStart(4, '0');
  const reasons: string[] = [];
  const owner = serviceUids.get(info.uid);
  if (owner !== undefined) reasons.push(`owned by the service user ${owner} (uid ${info.uid})`);
  const group = serviceGids.get(info.gid);
  if (group !== undefined && mode & 0o020) reasons.push(`writable by the service group ${group} (gid ${info.gid}, mode ${modeText})`);
  if (mode & 0o002) reasons.push(`writable by everyone (mode ${modeText})`);
  if (reasons.length === 0) return [];
  const what = info.isDirectory() ? 'a directory holding files root executes or reads' : 'a file root executes or reads (binaries, libraries, etc, dev, the loader)';
  return [
    finding('service-writable', path, `${what} is ${reasons.join(' and ')}: the service can plant code that runs as root next time the jail is started or a root process reads it`, `chown root:root ${host} && chmod go-w ${host}; give the service its own data directory outside bin, lib, etc and dev`),
  ];
}
