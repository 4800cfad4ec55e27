import { readJailFile } from './jail-files.js';

/** One line of the jail's /etc/passwd. */
export interface JailUser {
  name: string;
  password: string;
  uid: number;
  gid: number;
  line: number;
}

/** One line of the jail's /etc/group. */
export interface JailGroup {
  name: string;
  password: string;
  gid: number;
  members: string[];
  line: number;
}

/** The accounts the jail itself declares, and the ids the service may run as. */
export interface JailAccounts {
  users: JailUser[];
  groups: JailGroup[];
  /** Every non-root uid of the jail passwd: whoever runs inside the jail is one of them. */
  serviceUids: Map<number, string>;
  /** Non-root primary groups of those users, and groups listing them as members. */
  serviceGids: Map<number, string>;
}

/** Reads the jail's own passwd and group (symlinks followed inside the jail only). */
export async function readJailAccounts(directory: string): Promise<JailAccounts> {
  const [passwd, group] = await Promise.all([readJailFile(directory, '/etc/passwd'), readJailFile(directory, '/etc/group')]);
  const users = parseColonFile(passwd).flatMap(({ fields, line }): JailUser[] => {
    const [name, password, uid, gid] = fields;
    if (name === undefined || uid === undefined || !/^\d+$/.test(uid)) return [];
    return [{ name, password: password ?? '', uid: Number(uid), gid: /^\d+$/.test(gid ?? '') ? Number(gid) : -1, line }];
  });
  const groups = parseColonFile(group).flatMap(({ fields, line }): JailGroup[] => {
    const [name, password, gid, members] = fields;
    if (name === undefined || gid === undefined || !/^\d+$/.test(gid)) return [];
    return [{ name, password: password ?? '', gid: Number(gid), members: (members ?? '').split(',').filter(Boolean), line }];
  });
  const serviceUsers = users.filter((user) => user.uid !== 0);
  const serviceUids = new Map(serviceUsers.map((user) => [user.uid, user.name]));
  const groupNames = new Map(groups.map((entry) => [entry.gid, entry.name]));
  const serviceGids = new Map<number, string>();
  for (const user of serviceUsers) {
    if (user.gid > 0) serviceGids.set(user.gid, groupNames.get(user.gid) ?? String(user.gid));
  }
  const serviceNames = new Set(serviceUsers.map((user) => user.name));
  for (const entry of groups) {
    if (entry.gid !== 0 && entry.members.some((member) => serviceNames.has(member))) serviceGids.set(entry.gid, entry.name);
  }
  return { users, groups, serviceUids, serviceGids };
}

function parseColonFile(content: Buffer | undefined): { fields: string[]; line: number }[] {
  if (!content) return [];
  return content
    .toString('utf8')
    .split('\n')
    .map((text, index) => ({ text, line: index + 1 }))
    .filter(({ text }) => text.trim() !== '' && !text.startsWith('#'))
    .map(({ text, line }) => ({ fields: text.split(':'), line }));
}
