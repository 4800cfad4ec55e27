import { lstatSync } from 'node:fs';
import { posix } from 'node:path';
import { compareWithManifest, type Drift } from '../apply/manifest.js';
import { readCurrentGeneration } from '../apply/current-generation.js';
import { registerJail } from './registry.js';
import { serviceDataDirectories } from '../apply/service-data.js';

/** The stable shape of `jailwright verify --json`. A field changes meaning only with a new schemaVersion. */
export interface VerifyReport {
  schemaVersion: 1;
  root: string;
  generation: string;
  directory: string;
  manifest: string;
  /** Directories whose contents are the service's data (not drift); the directories themselves are checked. */
  serviceData: string[];
  clean: boolean;
  /** Sorted by path, then change. */
  drift: Drift[];
}

/**
 * Compares the jail's current generation with the manifest kept beside it (outside the jail): paths
 * added, removed, or changed in type, content (sha256), mode, owner, link target or device numbers.
 * Records the time and verdict in the registry for `jailwright list`.
 */
export async function verifyJail(root: string, options: { record?: boolean } = {}): Promise<VerifyReport> {
  const current = await readCurrentGeneration(root);
  const serviceData = serviceDataDirectories(current.manifest.entries);
  const drift = (await compareWithManifest(current.directory, current.manifest, serviceData)).filter((entry) => !isSyslogSocket(current.directory, entry)).sort(
    (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.change.localeCompare(b.change)),
  );
  const report: VerifyReport = {
    schemaVersion: 1,
    root: current.layout.root,
    generation: current.generation,
    directory: current.directory,
    manifest: current.manifestPath,
    serviceData,
    clean: drift.length === 0,
    drift,
  };
  if (options.record !== false) {
    await registerJail({
      root: report.root,
      recipe: current.manifest.recipe,
      recipeFile: current.manifest.recipeFile,
      lastVerify: { at: new Date().toISOString(), generation: current.generation, clean: report.clean },
    }).catch(() => undefined);
  }
  return report;
}

/** The jail's /dev/log socket, which `start` binds (syslog methods relay, rsyslog, syslog-ng, daemon-per-jail) while the service runs. */
function isSyslogSocket(directory: string, drift: Drift): boolean {
  return drift.path === '/dev/log' && drift.change === 'added' && lstatSync(posix.join(directory, 'dev/log'), { throwIfNoEntry: false })?.isSocket() === true;
}

/** The verify report in words. */
export function formatVerifyText(report: VerifyReport): string {
  const lines = [`${report.root} (${report.generation}) against ${report.manifest}:`];
  if (report.clean) lines.push('  clean: every path matches the manifest');
  for (const drift of report.drift) lines.push(`  ${drift.change.padEnd(8)} ${drift.path}: ${drift.detail}`);
  if (report.serviceData.length > 0) lines.push(`  not compared (the service's data): contents of ${report.serviceData.join(', ')}`);
  if (!report.clean) lines.push(`${report.drift.length} difference${report.drift.length === 1 ? '' : 's'}: the jail was changed after its build; rebuild it (jailwright update) after finding out who changed it`);
  return `${lines.join('\n')}\n`;
}
