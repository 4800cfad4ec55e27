import { readFile, realpath } from 'node:fs/promises';
import { generationNumber, type JailLayout, manifestPath } from '../apply/jail-layout.js';
import { type Manifest, readManifest } from '../apply/manifest.js';
import { hashRegularFile } from '../host/file-hash.js';
import { listDescendants } from '../check/process-tree.js';
import { isRunning } from '../host/processes.js';
import { launchFiles } from '../launch/launch-files.js';
import { type LaunchState, readJson } from '../launch/launch-state.js';
import { readCurrentGeneration } from '../apply/current-generation.js';
import { owningPackages } from './debian-packages.js';

/** One copied file whose host source is no longer what the jail holds. */
export interface OutdatedFile {
  /** The jail path. */
  path: string;
  /** The host file it was copied from. */
  source: string;
  /** `changed`: the host file has other bytes now; `gone`: it is no longer a regular file on the host. */
  change: 'changed' | 'gone';
}

/** A running process of the jail that maps a copy of a file the host has since changed. */
export interface StaleMapping {
  pid: number;
  /** The jail path of the mapped file. */
  path: string;
  /** The generation the mapped copy belongs to (older than the current one after an update without restart). */
  generation: string;
  source: string;
}

/** The stable shape of `jailwright outdated --json`. */
export interface OutdatedReport {
  schemaVersion: 1;
  root: string;
  generation: string;
  manifest: string;
  /** How many copied files were compared with their host source. */
  compared: number;
  outdated: boolean;
  /** Outdated files grouped by the Debian package that owns the host file (`null`: no package owns it, or it is gone). */
  packages: { package: string | null; files: OutdatedFile[] }[];
  /** False when dpkg-query is not available (every file is then under `null`). */
  packageOwnersKnown: boolean;
  /** The service's processes (empty when it is not running) and the old copies they map. */
  running: { pids: number[]; staleMappings: StaleMapping[] };
}

/**
 * Compares every copied file of the jail's current generation with its host source by sha256 (never by
 * mtime), groups what changed by owning Debian package (one dpkg-query call), and reads /proc/PID/maps
 * of the jail's running service to flag libraries it still maps in a copy the host has since replaced.
 */
export async function findOutdated(root: string): Promise<OutdatedReport> {
  const current = await readCurrentGeneration(root);
  const hostHashes = new Map<string, Promise<string | undefined>>();
  const hostHash = (source: string) => {
    let hash = hostHashes.get(source);
    if (!hash) hostHashes.set(source, (hash = hashRegularFile(source)));
    return hash;
  };
  const copied = current.manifest.entries.filter((entry) => entry.type === 'file' && entry.source);
  const outdated: OutdatedFile[] = [];
  for (const entry of copied) {
    const source = entry.source!.path;
    const now = await hostHash(source);
    if (now === undefined) outdated.push({ path: entry.path, source, change: 'gone' });
    else if (now !== entry.sha256) outdated.push({ path: entry.path, source, change: 'changed' });
  }

  const present = outdated.filter((file) => file.change === 'changed').map((file) => file.source);
  const realPaths = new Map(await Promise.all(present.map(async (source) => [source, await realpath(source).catch(() => source)] as const)));
  const owners = await owningPackages(present, realPaths);
  const groups = new Map<string | null, OutdatedFile[]>();
  for (const file of outdated) {
    const name = owners?.get(file.source) ?? null;
    groups.set(name, [...(groups.get(name) ?? []), file]);
  }
  const packages = [...groups].map(([name, files]) => ({ package: name, files })).sort((a, b) => (a.package ?? '\uffff').localeCompare(b.package ?? '\uffff'));

  const running = await staleMappings(current.layout, hostHash);
  return {
    schemaVersion: 1,
    root: current.layout.root,
    generation: current.generation,
    manifest: current.manifestPath,
    compared: copied.length,
    outdated: outdated.length > 0 || running.staleMappings.length > 0,
    packages,
    packageOwnersKnown: owners !== undefined,
    running,
  };
}

/** The jail service's processes and every file they map from a generation whose host source has other bytes now. */
async function staleMappings(layout: JailLayout, hostHash: (source: string) => Promise<string | undefined>): Promise<OutdatedReport['running']> {
  const launch = readJson<LaunchState>(launchFiles(layout).state);
  if (!launch?.service || !isRunning(launch.service)) return { pids: [], staleMappings: [] };
  const pids = [launch.service.pid, ...(await listDescendants(launch.service.pid))];
  const realState = await realpath(layout.state);
  const manifests = new Map<string, Promise<Manifest | undefined>>();
  const mappings: StaleMapping[] = [];
  for (const pid of pids) {
    const maps = await readFile(`/proc/${pid}/maps`, 'utf8').catch(() => '');
    const seen = new Set<string>();
    for (const line of maps.split('\n')) {
      const file = line.split(/\s+/).slice(5).join(' ').replace(/ \(deleted\)$/, '');
      if (!file.startsWith(`${realState}/`) || seen.has(file)) continue;
      seen.add(file);
      const [generation, ...rest] = file.slice(realState.length + 1).split('/');
      if (generation === undefined || generationNumber(generation) === undefined) continue;
      const path = `/${rest.join('/')}`;
      let manifest = manifests.get(generation);
      if (!manifest) manifests.set(generation, (manifest = readManifest(manifestPath(layout, generation))));
      const entry = (await manifest)?.entries.find((candidate) => candidate.path === path);
      if (!entry?.source) continue;
      if ((await hostHash(entry.source.path)) !== entry.sha256) mappings.push({ pid, path, generation, source: entry.source.path });
    }
  }
  return { pids, staleMappings: mappings };
}

/** The outdated report in words. */
export function formatOutdatedText(report: OutdatedReport): string {
  const lines = [`${report.root} (${report.generation}): ${report.compared} copied files compared with their host source by sha256`];
  for (const group of report.packages) {
    lines.push(`  ${group.package ?? (report.packageOwnersKnown ? '(no Debian package)' : '(dpkg-query not available)')}:`);
    for (const file of group.files) lines.push(`    ${file.change === 'gone' ? 'gone   ' : 'changed'} ${file.path}${file.source === file.path ? '' : ` (host ${file.source})`}`);
  }
  for (const mapping of report.running.staleMappings) {
    lines.push(`  pid ${mapping.pid} still maps the old ${mapping.path} of ${mapping.generation}: restart the service to load the host's current ${mapping.source}`);
  }
  lines.push(report.outdated ? 'outdated: run jailwright update (with --restart to restart the service)' : 'up to date with the host');
  return `${lines.join('\n')}\n`;
}
