import { lstat } from 'node:fs/promises';
import { recordedLstatStamps, type Manifest, type ManifestEntry } from '../apply/manifest.js';
import { stampOf } from '../host/input-stamps.js';
import { finding, type Finding } from './finding.js';
import { hashRegularFile } from '../host/file-hash.js';
import type { JailEntry } from './walk-jail.js';

/**
 * Regular files that are the same inode as a host file: the manifest's source, or the file at the
 * same path on the host. Such a file is the host's own: writable from outside, and shared by every
 * jail linked to it.
 */
export async function hostInodeFindings(entries: readonly JailEntry[], manifest: Manifest | undefined): Promise<Finding[]> {
  const sources = new Map((manifest?.entries ?? []).flatMap((entry) => (entry.source ? [[entry.path, entry.source.path] as const] : [])));
  const findings: Finding[] = [];
  for (const { path, info } of entries) {
    if (!info.isFile()) continue;
    for (const hostPath of new Set([sources.get(path), path].filter((candidate) => candidate !== undefined))) {
      const host = await lstat(hostPath).catch(() => undefined);
      if (host?.isFile() && host.dev === info.dev && host.ino === info.ino) {
        findings.push(
          finding('host-inode', path, `the same inode as the host's ${hostPath} (a hard link): a change on the host, or a write from inside the jail, shows on both sides, and a host upgrade can leave an old setuid copy reachable`, 'rebuild the jail with link: copy (the default), so every file is a copy of its own'),
        );
        break;
      }
    }
  }
  return findings;
}

/** Copied files whose content no longer matches their host source (sha256 of both, now): stale after a host upgrade. */
export async function differsFromHostFindings(entries: readonly JailEntry[], manifest: Manifest): Promise<Finding[]> {
  const present = new Map(entries.map((entry) => [entry.path, entry]));
  const hostStamps = recordedLstatStamps(manifest);
  const findings: Finding[] = [];
  for (const entry of manifest.entries) {
    const jail = present.get(entry.path);
    if (entry.type !== 'file' || !entry.source || !jail?.info.isFile()) continue;
    if (unchangedSinceBuild(jail, entry, hostStamps.get(entry.source.path))) continue;
    const difference = await compareWithSource(jail, entry);
    if (difference) findings.push(finding('differs-from-host', entry.path, difference, `rebuild the jail (jailwright build) to take the host's current ${entry.source.path}`));
  }
  return findings;
}

/**
 * True when neither side can differ from the content the manifest records, so nothing needs reading: the jail
 * file still has the stamp the build took after writing it, and the host file still has the stamp the build
 * recorded before it read it (ctime moves on every write and cannot be set back). Right after a build, that
 * is every file.
 */
function unchangedSinceBuild(jail: JailEntry, entry: ManifestEntry, hostStampThen: string | undefined): boolean {
  const info = jail.info;
  const jailHolds = info.ino === entry.jail.ino && info.size === entry.jail.size && info.mtimeMs === entry.jail.mtimeMs && info.ctimeMs === entry.jail.ctimeMs;
  return jailHolds && entry.sha256 !== undefined && hostStampThen !== undefined && stampOf(entry.source!.path, 'lstat') === hostStampThen;
}

async function compareWithSource(jail: JailEntry, entry: ManifestEntry): Promise<string | undefined> {
  const source = entry.source!.path;
  const host = await lstat(source).catch(() => undefined);
  if (!host?.isFile()) return `its host source ${source} is gone (or no longer a regular file) since the build`;
  if (host.dev === jail.info.dev && host.ino === jail.info.ino) return undefined;
  const [jailHash, hostHash] = await Promise.all([hashRegularFile(jail.hostPath), hashRegularFile(source)]);
  if (jailHash === undefined || hostHash === undefined || jailHash === hostHash) return undefined;
  const changed = entry.sha256 === jailHash ? 'the host file changed since the build (e.g. a package upgrade)' : 'the jail copy was changed after the build';
  return `differs from its host source ${source}: ${changed}; a stale library keeps bugs the host has fixed`;
}
