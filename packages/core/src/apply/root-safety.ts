import { lstat, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { ExitCode, JailwrightError } from '../errors.js';

/**
 * Refuses a jail whose parent directories someone other than root could change: whoever can rename
 * an ancestor can swap the jail for a tree of their own between build and launch. Names the first
 * offending directory.
 */
export async function assertSafeParents(parent: string): Promise<void> {
  const resolved = await realpath(parent).catch((error: NodeJS.ErrnoException) => {
    throw new JailwrightError(`the jail root's parent directory ${parent} does not exist (${error.code})`, {
      hint: `Create it first: install -d -o root -g root -m 0755 ${parent}`,
    });
  });
  let current = '/';
  for (const part of ['', ...resolved.split('/').filter(Boolean)]) {
    current = posix.join(current, part);
    const info = await lstat(current);
    if (info.uid !== 0) {
      throw new JailwrightError(`unsafe jail root: ${current} is owned by uid ${info.uid}, not root`, {
        hint: `Every directory above a jail must be owned by root: chown root ${current}, or choose a jail root elsewhere (e.g. /srv/jails/NAME).`,
      });
    }
    if (info.mode & 0o022) {
      const who = info.mode & 0o002 ? 'others' : 'its group';
      throw new JailwrightError(
        `unsafe jail root: ${current} is writable by ${who} (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')})`,
        { hint: `Whoever can write ${current} can replace the jail. Use chmod go-w ${current}, or a jail root under a root-only directory such as /srv/jails.` },
      );
    }
  }
}

/** Stops early with a clear message when not root: building a jail chowns files and makes device nodes. */
export function assertRoot(action: string): void {
  if (process.getuid?.() !== 0) {
    throw new JailwrightError(`${action} needs root: it sets file owners, creates device nodes and may create host accounts`, {
      exitCode: ExitCode.environment,
      hint: 'Run it with sudo, or use --dry-run to see the plan without root.',
    });
  }
}
