import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, JailwrightError } from '../errors.js';
import { isAlive } from '../host/processes.js';

/** A held build lock; `release` removes it. */
export interface BuildLock {
  release(): Promise<void>;
}

/** How to behave when another build holds the lock: refuse at once, or wait up to `waitMs`. */
export interface LockOptions {
  waitMs?: number;
  onWait?: (holder: number) => void;
}

/**
 * Takes the per-jail build lock: a file holding the builder's PID, linked into place atomically. A lock whose
 * PID is gone (a killed build) is taken over; a live one makes the second build refuse, or wait.
 */
export async function acquireBuildLock(lockPath: string, options: LockOptions = {}): Promise<BuildLock> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  let told = false;
  for (;;) {
    // Written aside and then hard-linked into place, so a lock is never seen without its PID.
    const candidate = `${lockPath}.${process.pid}`;
    await writeFile(candidate, `${process.pid}\n`, { mode: 0o600 });
    try {
      await link(candidate, lockPath);
      return { release: () => unlink(lockPath).catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(candidate).catch(() => undefined);
    }
    const holder = await lockHolder(lockPath);
    if (holder === undefined || !(await isAlive(holder))) {
      await takeOverStaleLock(lockPath, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new JailwrightError(`another build of this jail is running (pid ${holder}, lock ${lockPath})`, {
        exitCode: ExitCode.environment,
        hint: 'Wait for it to finish, or pass --wait to queue behind it.',
      });
    }
    if (!told) options.onWait?.(holder);
    told = true;
    await sleep(100);
  }
}

async function lockHolder(lockPath: string): Promise<number | undefined> {
  const text = await readFile(lockPath, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Moves a dead builder's lock aside before deleting it. If two builds notice the same stale lock,
 * only one rename finds it; the other finds a live lock (or nothing) and goes round again.
 */
async function takeOverStaleLock(lockPath: string, deadHolder: number | undefined): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  const moved = await lockHolder(aside);
  if (moved !== deadHolder && moved !== undefined && (await isAlive(moved))) {
    // We moved a lock a live build had just taken: put it back.
    await rename(aside, lockPath).catch(() => undefined);
    return;
  }
  await unlink(aside).catch(() => undefined);
}
