import { realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { generationManifestPath } from '../apply/jail-layout.js';
import { readManifest } from '../apply/manifest.js';
import { ExitCode, JailwrightError } from '../errors.js';
import { majorOf, minorOf } from '../host/devices.js';
import { findGetcap, readFileCapabilities } from './capabilities.js';
import type { AuditContext, FileContent, SafeDevice } from './context.js';
import {
  AUDIT_REPORT_SCHEMA_VERSION,
  applyAllowList,
  finding,
  shellQuote,
  sortFindings,
  summarize,
  type AuditAllowEntry,
  type AuditReport,
  type Finding,
  type UncheckedNote,
} from './finding.js';
import { differsFromHostFindings, hostInodeFindings } from './host-source-checks.js';
import { readJailAccounts } from './jail-accounts.js';
import { isElf, readRegularFile } from './jail-files.js';
import { isKernelMount, mountFindings, mountsInside } from './mounts.js';
import { rootChainFindings } from './root-checks.js';
import { accountHashFindings, secretFindings } from './secret-checks.js';
import { serviceWritableFindings, trustedPaths } from './service-checks.js';
import { treeFindings } from './tree-checks.js';
import { walkJail } from './walk-jail.js';

/** How `auditJail` judges a jail. */
export interface AuditOptions {
  /**
   * The manifest path for the host-source checks. Default: the one jailwright keeps beside the
   * generation (`.NAME.jailwright/generation-N.manifest.json`), when the root is one; null: none.
   */
  manifest?: string | null | undefined;
  /** Findings accepted with a reason (a recipe's `audit.allow`). */
  allow?: readonly AuditAllowEntry[] | undefined;
  /** Unix sockets that belong in the jail, as jail paths. Default: /dev/log. */
  expectedSockets?: readonly string[] | undefined;
  /** Whether /dev/tty is an accepted device. Default: when the manifest shows the build made it. */
  allowTty?: boolean | undefined;
  /** Text of /proc/self/mountinfo, for tests. */
  mountInfo?: string | undefined;
}

/** Character devices a jail may hold: harmless sources and sinks of bytes. */
const SAFE_DEVICES = ['null', 'zero', 'full', 'random', 'urandom'] as const;
/** Linux's fixed numbers, used when the host has no node to read them from. */
const LINUX_DEVICE_NUMBERS: Record<string, [number, number]> = { null: [1, 3], zero: [1, 5], full: [1, 7], random: [1, 8], urandom: [1, 9], tty: [5, 0] };
/** Small non-ELF files are read whole to look for private keys. */
const TEXT_LIMIT = 1024 * 1024;

/**
 * Audits a jail tree without changing it: walks it with lstat (never following a symlink), reads
 * file capabilities, the jail's own passwd and group, the mounts below it, and the manifest when
 * there is one. Throws a JailwrightError (exit code 2) when the root is missing or not a directory.
 */
export async function auditJail(root: string, options: AuditOptions = {}): Promise<AuditReport> {
  const givenRoot = posix.resolve(root);
  const rootInfo = await stat(givenRoot).catch(() => undefined);
  if (!rootInfo?.isDirectory()) {
    throw new JailwrightError(`cannot audit ${givenRoot}: ${rootInfo ? 'it is not a directory' : 'no such jail root'}`, {
      exitCode: ExitCode.badInput,
      hint: 'Give the jail root a build made, e.g. jailwright audit /srv/jails/demo',
    });
  }
  const directory = await realpath(givenRoot);
  const unchecked: UncheckedNote[] = [];

  const manifestFile = options.manifest === undefined ? generationManifestPath(directory) : (options.manifest ?? undefined);
  const manifest = manifestFile ? await readManifest(manifestFile) : undefined;
  if (manifestFile && !manifest) unchecked.push({ check: 'differs-from-host', reason: `the manifest ${manifestFile} is missing or unreadable` });

  const { mounts, hostDev } = await mountsInside(directory, options.mountInfo);
  const kernelMounts = new Set(mounts.filter((mount) => mount.mountPoint !== directory && isKernelMount(mount, hostDev)).map((mount) => mount.mountPoint));
  const walk = await walkJail(directory, kernelMounts);
  for (const { path, error } of walk.unreadable) unchecked.push({ check: '*', path, reason: `cannot read the directory (${error})` });

  const contents = new Map<string, FileContent>();
  for (const { path, hostPath, info } of walk.entries) {
    if (!info.isFile()) continue;
    const head = await readRegularFile(hostPath, 4);
    const elf = isElf(head);
    const text = !elf && info.size <= TEXT_LIMIT ? await readRegularFile(hostPath, TEXT_LIMIT) : undefined;
    contents.set(path, text ? { elf, text } : { elf });
  }

  const allowTty = options.allowTty ?? manifest?.entries.some((entry) => entry.path === '/dev/tty' && entry.type === 'char') ?? false;
  const context: AuditContext = {
    directory,
    entries: walk.entries,
    accounts: await readJailAccounts(directory),
    contents,
    safeDevices: await safeDevices(allowTty),
    expectedSockets: new Set(options.expectedSockets ?? ['/dev/log']),
    trusted: trustedPaths(walk.entries),
  };

  const findings: Finding[] = [];
  for (const entry of walk.entries) {
    findings.push(...(await treeFindings(entry, context)), ...secretFindings(entry, context), ...serviceWritableFindings(entry, context));
  }
  findings.push(...accountHashFindings(context));
  findings.push(...mountFindings(directory, mounts, hostDev));
  findings.push(...(await rootChainFindings(givenRoot, directory)));

  const getcap = await findGetcap();
  if (getcap) {
    const regular = walk.entries.filter((entry) => entry.info.isFile());
    const capabilities = await readFileCapabilities(getcap, regular.map((entry) => entry.hostPath));
    for (const entry of regular) {
      const text = capabilities.get(entry.hostPath);
      if (text === undefined) continue;
      findings.push(
        finding('file-capability', entry.path, `file capabilities (${text}): running it grants those privileges like a setuid bit would, to whoever runs it`, `setcap -r ${shellQuote(entry.hostPath)} (or remove it); grant the service its capabilities at launch instead`),
      );
    }
  } else {
    unchecked.push({ check: 'file-capability', reason: 'getcap was not found (install Debian libcap2-bin): file capabilities were not read' });
  }

  const sharedWithHost = await hostInodeFindings(walk.entries, manifest);
  const shared = new Set(sharedWithHost.map((item) => item.path));
  findings.push(...sharedWithHost);
  if (manifest) findings.push(...(await differsFromHostFindings(walk.entries, manifest)));
  else if (!manifestFile) unchecked.push({ check: 'differs-from-host', reason: 'no manifest: the jail was not built by jailwright, or its state directory is elsewhere' });

  // A file shared with the host is reported once, as host-inode.
  const all = findings.filter((item) => !(item.check === 'hard-link' && shared.has(item.path)));
  const judged = sortFindings(applyAllowList(all, options.allow ?? []));
  return {
    schemaVersion: AUDIT_REPORT_SCHEMA_VERSION,
    root: givenRoot,
    directory,
    manifest: manifest ? manifestFile! : null,
    findings: judged,
    unchecked,
    summary: summarize(judged),
  };
}

async function safeDevices(allowTty: boolean): Promise<SafeDevice[]> {
  const names: string[] = [...SAFE_DEVICES, ...(allowTty ? ['tty'] : [])];
  return Promise.all(
    names.map(async (name) => {
      const host = await stat(`/dev/${name}`).catch(() => undefined);
      if (host?.isCharacterDevice()) return { name, major: majorOf(host.rdev), minor: minorOf(host.rdev) };
      const [major, minor] = LINUX_DEVICE_NUMBERS[name]!;
      return { name, major, minor };
    }),
  );
}
