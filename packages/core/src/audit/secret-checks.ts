import { posix } from 'node:path';
import type { AuditContext } from './context.js';
import { finding, shellQuote, type Finding } from './finding.js';
import type { JailEntry } from './walk-jail.js';

const SHADOW_NAMES = new Set(['shadow', 'shadow-', 'gshadow', 'gshadow-', 'master.passwd', 'spwd.db']);
const PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/;
/** Password fields that hold no hash: shadowed (x), locked or disabled (*, !), or empty. */
const NO_HASH = /^[x*!]*$/;

/** Copies of secrets: shadow files, sudoers, .ssh directories, PEM private keys. */
export function secretFindings(entry: JailEntry, context: AuditContext): Finding[] {
  const { info, path } = entry;
  const name = posix.basename(path);
  const host = shellQuote(entry.hostPath);
  const findings: Finding[] = [];
  if (info.isFile() && SHADOW_NAMES.has(name)) {
    findings.push(finding('shadow-file', path, 'a shadow password file: its hashes can be cracked offline, and the service never needs them (the jail passwd has none)', `rm ${host}; never copy /etc/shadow into a jail`));
  }
  if ((info.isFile() || info.isDirectory()) && (name === 'sudoers' || name === 'sudoers.d' || path.startsWith('/etc/sudoers.d/'))) {
    findings.push(finding('sudoers-file', path, 'sudo configuration: it names who may become root, which is nobody’s business inside a jail', `rm -r ${host}`));
  }
  if (info.isDirectory() && name === '.ssh') {
    findings.push(finding('ssh-directory', path, 'an .ssh directory: it may hold private keys, authorized_keys and known hosts that lead to other machines', `rm -r ${host}`));
  }
  const text = context.contents.get(path)?.text;
  if (info.isFile() && text && PRIVATE_KEY.test(text.toString('latin1'))) {
    findings.push(
      finding('private-key', path, 'a private key (PEM): whoever breaks into the service can read it and impersonate its owner', `remove it unless the service needs it (a TLS server does: then make it readable only by the service, and allow-list it with the reason)`),
    );
  }
  return findings;
}

/** Password hashes left in the jail's passwd or group. */
export function accountHashFindings(context: AuditContext): Finding[] {
  const findings: Finding[] = [];
  for (const user of context.accounts.users) {
    if (!NO_HASH.test(user.password)) {
      findings.push(finding('password-hash', '/etc/passwd', `line ${user.line} (${user.name}) holds a password hash, which can be cracked offline`, `replace the password field of ${user.name} with "x" in ${shellQuote(posix.join(context.directory, 'etc/passwd'))}; the jail needs no passwords`));
    }
  }
  for (const group of context.accounts.groups) {
    if (!NO_HASH.test(group.password)) {
      findings.push(finding('password-hash', '/etc/group', `line ${group.line} (${group.name}) holds a group password hash, which can be cracked offline`, `replace the password field of ${group.name} with "x" in ${shellQuote(posix.join(context.directory, 'etc/group'))}`));
    }
  }
  return findings;
}
