import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, posix } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const BATCH = 256;

/**
 * Where getcap (Debian libcap2-bin) is. Node cannot read extended attributes, and getcap is the
 * one tool that reads and decodes `security.capability` for any file format version; it is looked
 * for on PATH and in the sbin directories a non-root PATH often lacks.
 */
export async function findGetcap(): Promise<string | undefined> {
  const directories = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const directory of directories) {
    const candidate = posix.join(directory, 'getcap');
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/**
 * The file capabilities of regular files, by host path (files without any are absent). getcap is
 * given only paths lstat saw as regular files, and prints "<path> <capabilities>" for each file
 * that has some.
 */
export async function readFileCapabilities(getcap: string, hostPaths: readonly string[]): Promise<Map<string, string>> {
  const capabilities = new Map<string, string>();
  const known = new Set(hostPaths);
  for (let start = 0; start < hostPaths.length; start += BATCH) {
    const batch = hostPaths.slice(start, start + BATCH);
    const { stdout } = await execFileAsync(getcap, ['--', ...batch], { maxBuffer: 64 * 1024 * 1024 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    for (const line of stdout.split('\n')) {
      // Capability text has no spaces after the path; a path may, so split at the last " " whose head is a known path.
      for (let index = line.lastIndexOf(' '); index > 0; index = line.lastIndexOf(' ', index - 1)) {
        const path = line.slice(0, index);
        if (known.has(path)) {
          capabilities.set(path, line.slice(index + 1));
          break;
        }
      }
    }
  }
  return capabilities;
}
