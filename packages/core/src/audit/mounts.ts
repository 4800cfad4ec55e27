import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { finding, shellQuote, type Finding } from './finding.js';

/** One line of /proc/self/mountinfo. */
export interface MountInfo {
  /** major:minor of the mounted filesystem. */
  device: string;
  /** The directory of that filesystem mounted here (not "/" for a bind mount of a subdirectory). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

const PROC_TYPES = new Set(['proc']);
const SYS_TYPES = new Set(['sysfs', 'cgroup', 'cgroup2', 'debugfs', 'tracefs', 'securityfs', 'bpf', 'configfs', 'pstore', 'efivarfs', 'fusectl', 'binfmt_misc', 'selinuxfs']);
const DEV_TYPES = new Set(['devtmpfs', 'devpts', 'mqueue', 'hugetlbfs']);

/** "\040" in mountinfo is a space: the kernel escapes space, tab, newline and backslash in octal. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Parses mountinfo text (proc(5)). */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    const [device, root, mountPoint] = [before[2], before[3], before[4]];
    const [fsType, source] = [after[0], after[1]];
    if (device === undefined || root === undefined || mountPoint === undefined || fsType === undefined) continue;
    mounts.push({ device, root: unescapeMountField(root), mountPoint: unescapeMountField(mountPoint), fsType, source: unescapeMountField(source ?? '') });
  }
  return mounts;
}

/** The mounts of this process's namespace at or below `directory` (a real path). */
export async function mountsInside(directory: string, mountInfoText?: string): Promise<{ mounts: MountInfo[]; hostDev: MountInfo | undefined }> {
  const all = parseMountInfo(mountInfoText ?? (await readFile('/proc/self/mountinfo', 'utf8')));
  const inside = all.filter((mount) => mount.mountPoint === directory || mount.mountPoint.startsWith(`${directory}/`));
  // The last mount on /dev is the one the host sees there.
  const hostDev = all.filter((mount) => mount.mountPoint === '/dev').at(-1);
  return { mounts: inside, hostDev };
}

/** A kernel filesystem mounted inside: the walk lists its mount point but does not enter it. */
export function isKernelMount(mount: MountInfo, hostDev: MountInfo | undefined): boolean {
  return mountCheck(mount, hostDev) !== 'other-mount';
}

function mountCheck(mount: MountInfo, hostDev: MountInfo | undefined): Finding['check'] {
  if (PROC_TYPES.has(mount.fsType)) return 'proc-mount';
  if (SYS_TYPES.has(mount.fsType)) return 'sys-mount';
  if (DEV_TYPES.has(mount.fsType)) return 'dev-mount';
  if (hostDev && mount.device === hostDev.device && mount.root === hostDev.root) return 'dev-mount';
  return 'other-mount';
}

/** Findings for the filesystems mounted inside the jail directory. */
export function mountFindings(directory: string, mounts: readonly MountInfo[], hostDev: MountInfo | undefined): Finding[] {
  const findings: Finding[] = [];
  for (const mount of mounts) {
    const path = mount.mountPoint === directory ? '/' : posix.join('/', posix.relative(directory, mount.mountPoint));
    const check = mountCheck(mount, hostDev);
    const what = `${mount.fsType} (${mount.source}${mount.root === '/' ? '' : `, ${mount.root}`})`;
    switch (check) {
      case 'proc-mount':
        findings.push(
          finding(check, path, `procfs is mounted here: /proc/<pid>/root and /proc/<pid>/cwd of any process outside lead out of the jail, and /proc exposes host processes, memory maps and kernel tunables`, `umount ${shellQuote(mount.mountPoint)}; if the service needs /proc, let the launcher mount a private one in a new PID namespace`),
        );
        break;
      case 'sys-mount':
        findings.push(finding(check, path, `a kernel filesystem (${what}) is mounted here: it exposes host devices, kernel state and control files`, `umount ${shellQuote(mount.mountPoint)}`));
        break;
      case 'dev-mount':
        findings.push(
          finding(check, path, `the host's device filesystem (${what}) is mounted here: every host disk and /dev/mem become reachable from the jail`, `umount ${shellQuote(mount.mountPoint)}; the jail gets only the nodes its recipe names in jail.devices`),
        );
        break;
      default:
        if (mount.mountPoint === directory) break;
        findings.push(finding(check, path, `a filesystem (${what}) is mounted inside the jail; a bind mount shows host files the audit of the built tree does not vouch for`, `check that ${shellQuote(mount.mountPoint)} must be mounted; umount it otherwise`));
    }
  }
  return findings;
}
