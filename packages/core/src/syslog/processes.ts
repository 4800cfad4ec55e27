import { readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** True while a process with this PID exists (a zombie counts as gone). */
export async function isAlive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (status === undefined) return false;
  return !/^State:\s+Z/m.test(status);
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
