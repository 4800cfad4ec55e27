import { readFileSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process named by PID and by its start time, so a PID reused by another process is never mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks after boot. */
  startTime: number;
}

/** The fields of /proc/PID/stat after the command name, or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself hold ") ": split after the last one.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The identity of a running process, or undefined. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  const fields = statFields(pid);
  // Fields after the name start at field 3 (state); start time is field 22.
  const startTime = fields?.[19];
  return startTime === undefined ? undefined : { pid, startTime: Number(startTime) };
}

/** True while the very process `identity` names runs (a zombie counts as gone). */
export function isRunning(identity: ProcessIdentity | undefined): boolean {
  if (!identity) return false;
  const fields = statFields(identity.pid);
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return false;
  return Number(fields[19]) === identity.startTime;
}

/** Sends a signal to exactly this process; false when it is gone (or is now someone else). */
export function signalProcess(identity: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!isRunning(identity)) return false;
  try {
    process.kill(identity.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of the processes runs; true when they are all gone before the deadline. */
export async function waitGone(identities: readonly (ProcessIdentity | undefined)[], timeoutMs: number): Promise<boolean> {
  return waitUntil(() => !identities.some(isRunning), timeoutMs);
}

/** The PIDs of a process's children. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** What jailwright reads of a process from /proc/PID/status. */
export interface ProcessStatus {
  /** The command name (at most 15 characters, as the kernel keeps it). */
  name: string;
  /** One letter: R running, S sleeping, D disk wait, Z zombie, T stopped, X dead, … */
  state: string;
  /** Real, effective, saved set and file-system user ids. */
  uids: [number, number, number, number];
  /** Real, effective, saved set and file-system group ids. */
  gids: [number, number, number, number];
  /** Supplementary group ids. */
  groups: number[];
  /** True when exec can no longer raise its privileges (setuid files, file capabilities). */
  noNewPrivs: boolean;
  /** Capability sets, as bit masks (bit n is capability n). */
  capabilities: { effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint; bounding: bigint };
}

/** Parses the text of /proc/PID/status; throws when its Uid or Gid line is not four ids. */
export function parseProcessStatus(text: string): ProcessStatus {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const numbers = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean).map(Number);
  const ids = (key: string) => {
    const found = numbers(key);
    if (found.length !== 4 || found.some((id) => !Number.isInteger(id))) throw new Error(`no ${key} line with four ids in /proc/PID/status`);
    return found as [number, number, number, number];
  };
  const mask = (key: string) => BigInt(`0x${fields.get(key) || '0'}`);
  return {
    name: fields.get('Name') ?? '',
    state: (fields.get('State') ?? '').charAt(0),
    uids: ids('Uid'),
    gids: ids('Gid'),
    groups: numbers('Groups'),
    noNewPrivs: fields.get('NoNewPrivs') === '1',
    capabilities: { effective: mask('CapEff'), permitted: mask('CapPrm'), inheritable: mask('CapInh'), ambient: mask('CapAmb'), bounding: mask('CapBnd') },
  };
}

/** The /proc/PID/status of a process, or undefined when it is gone. */
export function readProcessStatus(pid: number): ProcessStatus | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
  return parseProcessStatus(text);
}

/* Processes known only by a PID in a pidfile (daemons the engine starts detached, such as the relay). */

/** True while a process with this PID exists (a zombie counts as gone). */
export async function isAlive(pid: number): Promise<boolean> {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Polls `condition` every 20 ms until it is truthy or `timeoutMs` passes; returns the last value. */
export async function waitUntil<T>(condition: () => Promise<T> | T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value || Date.now() >= deadline) return value;
    await sleep(20);
  }
}

/** The PID written in a pidfile, or undefined when the file is missing or holds no number. */
export async function readPidFile(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The executable of a running process, or undefined. */
export async function executableOf(pid: number): Promise<string | undefined> {
  return readlink(`/proc/${pid}/exe`).catch(() => undefined);
}

/**
 * Stops one process by PID: SIGTERM, then SIGKILL after `timeoutMs`. When `executable` is given, a PID now
 * held by another program (the old one died and the number was reused) is left alone.
 */
export async function stopProcess(pid: number, options: { executable?: string; timeoutMs?: number } = {}): Promise<void> {
  if (!(await isAlive(pid))) return;
  if (options.executable !== undefined) {
    const running = await executableOf(pid);
    if (running !== undefined && running.replace(/ \(deleted\)$/, '') !== options.executable) return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitUntil(async () => !(await isAlive(pid)), options.timeoutMs ?? 5000)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitUntil(async () => !(await isAlive(pid)), 2000);
}
