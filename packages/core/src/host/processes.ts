import { readFileSync } from 'node:fs';
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
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!identities.some(isRunning)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
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
