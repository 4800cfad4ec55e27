import { lstat, mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { JailwrightError } from '../errors.js';

/** Where a jail's processes look for syslog: <jail>/dev/log. */
export function jailSocketPath(jailRoot: string): string {
  return posix.join(posix.resolve(jailRoot), 'dev/log');
}

/** The directory, outside the jail, where the syslog methods keep their files (pidfiles, configs, stats). */
export async function syslogStateDirectory(stateDir: string): Promise<string> {
  const directory = posix.join(stateDir, 'syslog');
  await mkdir(directory, { recursive: true, mode: 0o700 });
  return directory;
}

/**
 * Refuses a jail whose /dev is a symlink or is writable by anyone but its owner (root): a daemon creating
 * <jail>/dev/log as root must not be steered elsewhere, nor the socket swapped, by the jailed service.
 */
export async function assertJailDevIsSafe(jailRoot: string): Promise<void> {
  const dev = posix.join(posix.resolve(jailRoot), 'dev');
  const info = await lstat(dev).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) {
    throw new JailwrightError(`the jail has no /dev (${dev}): build it with the base preset (jail.include: [base]) or a jail.devices entry`);
  }
  const owner = process.getuid?.() ?? 0;
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new JailwrightError(`${dev} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: refusing to create a syslog socket through it; rebuild the jail`);
  }
  if (info.uid !== owner || (info.mode & 0o022) !== 0) {
    throw new JailwrightError(
      `${dev} must be owned by uid ${owner} and writable by no one else (it is uid ${info.uid}, mode ${(info.mode & 0o7777).toString(8)}): ` +
        'otherwise the jailed service could replace the socket; rebuild the jail',
    );
  }
}
