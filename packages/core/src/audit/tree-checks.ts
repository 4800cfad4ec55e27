import { readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { majorOf, minorOf } from '../host/devices.js';
import { symlinkTargetProblem } from '../recipe/jail-path.js';
import type { AuditContext } from './context.js';
import { finding, shellQuote, type Finding } from './finding.js';
import type { JailEntry } from './walk-jail.js';

/** Tools an attacker who gets code execution in the jail wants next, by file name. */
const TOOLS: { check: 'shell' | 'interpreter' | 'compiler' | 'network-tool'; name: RegExp; what: string }[] = [
  { check: 'shell', name: /^(sh|bash|rbash|dash|ash|zsh|ksh|ksh93|mksh|pdksh|csh|tcsh|fish|busybox|toybox)$/, what: 'a shell' },
  {
    check: 'interpreter',
    name: /^(perl|perl5[\d.]*|python|python[23][\d.]*m?|ruby[\d.]*|php[\d.]*|php-cgi[\d.]*|lua[\d.]*|luajit|node|nodejs|tclsh[\d.]*|wish[\d.]*|expect|guile[\d.]*|awk|gawk|mawk|nawk|pwsh)$/,
    what: 'a script interpreter',
  },
  {
    check: 'compiler',
    name: /^([a-z0-9_]+-linux-gnu-)?(gcc|g\+\+|cc|c\+\+|cpp|clang|clang\+\+|as|ld|ld\.bfd|ld\.gold|ld\.lld)(-[\d.]+)?$|^(tcc|cc1|cc1plus|collect2|rustc)$/,
    what: 'a compiler or linker',
  },
  { check: 'network-tool', name: /^(nc|nc\.openbsd|nc\.traditional|netcat|ncat|socat|telnet|wget|curl|ssh|scp|sftp|ftp|tftp|rsync)$/, what: 'a network tool' },
];

const TOOL_WHY: Record<(typeof TOOLS)[number]['check'], string> = {
  shell: 'every tool placed in a jail is also a tool for an attacker: a shell turns one code-execution bug into an interactive session',
  interpreter: 'an interpreter runs any program an attacker writes, without needing a compiler or a writable executable file',
  compiler: 'a compiler builds the attacker’s own escape tools inside the jail',
  'network-tool': 'a network tool lets an attacker fetch tools, open a reverse shell or relay traffic from inside the jail',
};

/** Findings that depend on one path alone: setuid bits, devices, sockets, FIFOs, modes, symlinks, hard links, tools. */
export async function treeFindings(entry: JailEntry, context: AuditContext): Promise<Finding[]> {
  const { info, path } = entry;
  const host = shellQuote(entry.hostPath);
  const findings: Finding[] = [];
  const mode = info.mode & 0o7777;
  const modeText = mode.toString(8).padStart(4, '0');

  if (!info.isDirectory() && !info.isSymbolicLink()) {
    if (mode & 0o4000) {
      findings.push(
        finding('setuid-file', path, `setuid (mode ${modeText}, owner uid ${info.uid}): whoever runs it gets uid ${info.uid}${info.uid === 0 ? ', i.e. root, and root can break out of a chroot' : ''}`, `chmod u-s ${host} (or remove it); if the service truly needs it, keep it with jail.files[].keepSetuid and a reason, and allow-list it`),
      );
    }
    if (mode & 0o2000) {
      findings.push(finding('setgid-file', path, `setgid (mode ${modeText}, group gid ${info.gid}): whoever runs it gets the privileges of group ${info.gid}`, `chmod g-s ${host} (or remove it)`));
    }
  }

  if (info.isBlockDevice()) {
    findings.push(
      finding('block-device', path, `block device ${majorOf(info.rdev)},${minorOf(info.rdev)}: a disk node lets anyone who can open it read and rewrite the host's filesystems beneath the jail`, `rm ${host}; a jail never needs a block device`),
    );
  }
  if (info.isCharacterDevice()) {
    const [major, minor] = [majorOf(info.rdev), minorOf(info.rdev)];
    if (!context.safeDevices.some((device) => device.major === major && device.minor === minor)) {
      const known = major === 1 && minor === 1 ? ' (/dev/mem: all of physical memory)' : major === 1 && minor === 2 ? ' (/dev/kmem)' : '';
      findings.push(
        finding('char-device', path, `character device ${major},${minor}${known} is none of ${context.safeDevices.map((device) => device.name).join(', ')}: device nodes reach the kernel and hardware past the chroot`, `rm ${host}; name only the devices the service needs in jail.devices (null, zero, full, random, urandom, tty)`),
      );
    }
  }
  if (info.isSocket() && !context.expectedSockets.has(path)) {
    findings.push(
      finding('unix-socket', path, 'a unix socket nobody declared: a daemon outside listening on it is a door out of the jail (and may pass file descriptors over it)', `find who listens on it (ss -xlp | grep ${posix.basename(path)}); remove it, or declare it`),
    );
  }
  if (info.isFIFO()) {
    findings.push(finding('fifo', path, 'a named pipe: a channel to whatever process outside the jail has it open', `rm ${host} unless the service needs it (then allow-list it with a reason)`));
  }

  // The jail root itself is judged by jail-root-unsafe.
  if (info.isDirectory() && path !== '/' && mode & 0o002 && !(mode & 0o1000) && !context.trusted.has(path)) {
    findings.push(finding('world-writable-dir', path, `world-writable without the sticky bit (mode ${modeText}): any user can delete or replace the files of others here`, `chmod +t ${host}, or better chmod o-w ${host}`));
  }
  if (info.isFile() && mode & 0o002 && !context.trusted.has(path)) {
    findings.push(finding('world-writable-file', path, `world-writable (mode ${modeText}): any process in the jail can rewrite it`, `chmod o-w ${host}`));
  }

  if (info.isSymbolicLink()) {
    const target = await readlink(entry.hostPath).catch(() => undefined);
    if (target !== undefined && target.startsWith('/')) {
      findings.push(
        finding('absolute-symlink', path, `absolute symlink -> ${target}: inside the chroot it resolves in the jail, but any process outside (the build, a backup, an admin's tool, a leaked directory fd) that follows it reaches the host's ${target}`, `replace it with a relative link that stays inside the jail (ln -sfn ${shellQuote(relativeTarget(path, target))} ${host})`),
      );
    } else if (target !== undefined) {
      const problem = symlinkTargetProblem(path, target);
      if (problem) findings.push(finding('escaping-symlink', path, `symlink -> ${target} climbs above the jail root: followed from outside the jail it leads into the host`, `rm ${host}, or point it at a path inside the jail`));
    }
  }

  if (info.isFile() && info.nlink > 1) {
    findings.push(
      finding('hard-link', path, `${info.nlink} hard links to this file: whoever can write any of its other names (possibly outside the jail) changes it here, and a hard link to a setuid file outlives its removal`, `replace it with a copy of its own (cp --remove-destination), or rebuild the jail with link: copy`),
    );
  }

  if (info.isFile()) {
    const name = posix.basename(path);
    const tool = TOOLS.find((candidate) => candidate.name.test(name));
    const elf = context.contents.get(path)?.elf === true;
    // A non-executable ELF still runs through the loader (ld-linux.so ./python3), so either counts.
    if (tool && (elf || info.mode & 0o111)) {
      findings.push(finding(tool.check, path, `${tool.what} (${name}${elf ? ', an ELF executable' : ''}): ${TOOL_WHY[tool.check]}`, `remove it from the recipe's jail.files unless the service executes it; if it does, allow-list it with the reason`));
    }
  }
  return findings;
}

/** What an absolute link target would be relative to its own directory. */
function relativeTarget(linkPath: string, target: string): string {
  return posix.relative(posix.dirname(linkPath), target) || '.';
}
