import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, JailwrightError } from '../errors.js';

/** One line of /etc/passwd. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

/** One line of /etc/group. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The host's users and groups, looked up by name and by id. */
export interface HostAccounts {
  users: PasswdEntry[];
  groups: GroupEntry[];
}

/** Parses /etc/passwd text; the password field is dropped on purpose so no hash can travel into a jail. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const [name, , uid, gid, gecos, home, shell] = fields as [string, string, string, string, string, string, string];
    entries.push({ name, uid: Number(uid), gid: Number(gid), gecos, home, shell });
  }
  return entries;
}

/** Parses /etc/group text, dropping the password field. */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    if (fields.length < 4) continue;
    const [name, , gid, members] = fields as [string, string, string, string];
    entries.push({ name, gid: Number(gid), members: members === '' ? [] : members.split(',') });
  }
  return entries;
}

/** Reads the host's /etc/passwd and /etc/group (never /etc/shadow). */
export async function readHostAccounts(hostRoot = '/'): Promise<HostAccounts> {
  const [passwd, group] = await Promise.all([
    readFile(path.join(hostRoot, 'etc/passwd'), 'utf8'),
    readFile(path.join(hostRoot, 'etc/group'), 'utf8'),
  ]);
  return { users: parsePasswd(passwd), groups: parseGroup(group) };
}

/** Formats passwd lines for a jail: `x` in the password field, never a hash. */
export function formatPasswd(entries: readonly PasswdEntry[]): string {
  return entries.map((e) => `${e.name}:x:${e.uid}:${e.gid}:${e.gecos}:${e.home}:${e.shell}\n`).join('');
}

/** Formats group lines for a jail: `x` in the password field. */
export function formatGroup(entries: readonly GroupEntry[]): string {
  return entries.map((e) => `${e.name}:x:${e.gid}:${e.members.join(',')}\n`).join('');
}

/** What `ensureSystemAccount` needs: the user, and its primary group (created with the user's name when omitted). */
export interface SystemAccountRequest {
  name: string;
  group?: string | undefined;
  home?: string | undefined;
}

/**
 * Creates a host system account (no login shell, no home created) when it is missing.
 * Returns true when it created something, so callers can report it and tests can remove it.
 */
export async function ensureSystemAccount(request: SystemAccountRequest, accounts: HostAccounts): Promise<boolean> {
  if (accounts.users.some((u) => u.name === request.name)) return false;
  const group = request.group ?? request.name;
  const args = ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--home-dir', request.home ?? '/nonexistent'];
  if (accounts.groups.some((g) => g.name === group)) {
    args.push('--gid', group);
  } else if (group === request.name) {
    args.push('--user-group');
  } else {
    await run('groupadd', ['--system', group]);
    args.push('--gid', group);
  }
  await run('useradd', [...args, request.name]);
  return true;
}

async function run(command: string, args: string[]): Promise<void> {
  // Loaded on first use: most builds create no account, and execa is slow to import.
  const { execa } = await import('execa');
  const result = await execa(command, args, { reject: false });
  if (result.exitCode !== 0) {
    throw new JailwrightError(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout}`, {
      exitCode: ExitCode.environment,
      hint: 'Creating a host account needs root and the shadow-utils commands (useradd, groupadd).',
    });
  }
}
