import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { ExitCode, JailwrightError } from '../errors.js';
import type { BuildRelease } from '../recipe/build-schema.js';

/** What was found about the source the user gave. */
export interface SourceCheck {
  path: string;
  kind: 'tarball' | 'directory';
  sha256?: string;
  /** The release the recipe knows this tarball as, when its name says so. */
  version?: string;
  /** True when the tarball's sha256 matched the recipe's checksum for that release. */
  verified: boolean;
}

const TARBALL = /\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2?)$/;

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The release a tarball is, by its file name. Only exact names count: the same release compressed another
 * way (.tar.bz2 beside .tar.gz) has other bytes, so a version seen in the name proves nothing.
 */
export function findRelease(fileName: string, releases: readonly BuildRelease[]): BuildRelease | undefined {
  return releases.find((release) => release.files.includes(fileName));
}

/**
 * Checks the source the user named: a directory is taken as it is; a tarball of a release the recipe knows
 * must match its sha256 (a mismatch is refused, exit 2), one of an unknown release is used unverified.
 */
export async function checkSource(path: string, releases: readonly BuildRelease[]): Promise<SourceCheck> {
  const info = await stat(path).catch(() => {
    throw new JailwrightError(`source ${path} does not exist`, { hint: 'give a release tarball (.tar.gz, .tar.xz, …) or an unpacked source tree' });
  });
  if (info.isDirectory()) return { path, kind: 'directory', verified: false };
  if (!info.isFile() || !TARBALL.test(path)) {
    throw new JailwrightError(`source ${path} is neither a directory nor a tarball (.tar, .tar.gz, .tgz, .tar.xz, .tar.bz2)`);
  }
  const sha256 = await sha256File(path);
  const release = findRelease(basename(path), releases);
  if (!release) return { path, kind: 'tarball', sha256, verified: false };
  if (release.sha256 !== sha256) {
    throw new JailwrightError(`${basename(path)} is release ${release.version}, but its sha256 ${sha256} is not the recipe's ${release.sha256}: refusing to build it`, {
      exitCode: ExitCode.badInput,
      hint: 'download the release again from its publisher, or rename the file if it is not that release',
    });
  }
  return { path, kind: 'tarball', sha256, version: release.version, verified: true };
}

/** Unpacks a tarball into `directory` and returns the source tree: its single top directory, or `directory` itself. */
export async function unpackSource(tarball: string, directory: string): Promise<string> {
  await mkdir(directory, { recursive: true });
  await execa('tar', ['-xf', tarball, '-C', directory, '--no-same-owner']).catch((error: unknown) => {
    throw new JailwrightError(`tar could not unpack ${tarball}: ${(error as { stderr?: string }).stderr ?? String(error)}`, {
      exitCode: (error as { code?: string }).code === 'ENOENT' ? ExitCode.environment : ExitCode.badInput,
    });
  });
  const entries = await readdir(directory, { withFileTypes: true });
  const only = entries.length === 1 ? entries[0] : undefined;
  return only?.isDirectory() ? join(directory, only.name) : directory;
}
