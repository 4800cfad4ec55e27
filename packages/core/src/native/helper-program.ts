/**
 * Small C programs the engine runs as root (the syslog relay, the Landlock scope step of the launch chain),
 * compiled on first use with the system C compiler into a cache only root can write, one binary per source
 * hash so an upgrade compiles anew. Why C and not npm addons: see syslog/relay.ts.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { execa } from 'execa';
import { cacheDirectory } from '../cache-directory.js';
import { ExitCode, JailwrightError } from '../errors.js';

/** One helper program: its C source, the stem of its file name, and what to say when it cannot be compiled. */
export interface HelperProgram {
  /** File name stem in the cache, e.g. `syslog-relay`; the source hash is appended. */
  name: string;
  source: string;
  /** What the program is for, in words: "the syslog relay". */
  purpose: string;
  /** What the user can do instead when there is no C compiler. */
  withoutCompiler: string;
}

/** The default cache for compiled helpers: jailwright's cache directory (root's under /var/cache, a user's under ~/.cache). */
export function defaultHelperDirectory(): string {
  return cacheDirectory();
}

/** The helper's path for its current source. */
export function helperProgramPath(program: HelperProgram, helperDirectory = defaultHelperDirectory()): string {
  const hash = createHash('sha256').update(program.source).digest('hex').slice(0, 16);
  return posix.join(helperDirectory, `${program.name}-${hash}`);
}

/** Compiles the helper once (cc, or $CC) into the helper cache and returns its path. */
export async function ensureHelperProgram(program: HelperProgram, helperDirectory = defaultHelperDirectory()): Promise<string> {
  const executable = helperProgramPath(program, helperDirectory);
  await mkdir(helperDirectory, { recursive: true, mode: 0o755 });
  // Root runs these binaries: their directory must not be writable by anyone else.
  const directoryInfo = await stat(helperDirectory);
  const owner = process.getuid?.() ?? 0;
  if (directoryInfo.uid !== owner || (directoryInfo.mode & 0o022) !== 0) {
    throw new JailwrightError(
      `the helper cache ${helperDirectory} must be owned by uid ${owner} and writable by no one else (it is uid ${directoryInfo.uid}, mode ${(directoryInfo.mode & 0o7777).toString(8)})`,
      { exitCode: ExitCode.environment },
    );
  }
  if (await stat(executable).then((info) => info.isFile(), () => false)) return executable;

  const source = `${executable}.${process.pid}.c`;
  const output = `${executable}.${process.pid}.tmp`;
  await writeFile(source, program.source, { mode: 0o600 });
  const compiler = process.env.CC ?? 'cc';
  try {
    await execa(compiler, ['-O2', '-Wall', '-o', output, source], { stdin: 'ignore' });
  } catch (error) {
    const failure = error as { code?: string; stderr?: string; shortMessage?: string };
    throw new JailwrightError(
      failure.code === 'ENOENT'
        ? `${program.purpose} is compiled on first use, but there is no C compiler (${compiler}): install one (Debian: apt-get install gcc libc6-dev) or ${program.withoutCompiler}`
        : `compiling ${program.purpose} failed:\n${failure.stderr ?? failure.shortMessage ?? String(error)}`,
      { exitCode: ExitCode.environment, cause: error },
    );
  } finally {
    await rm(source, { force: true });
  }
  await chmod(output, 0o755);
  await rename(output, executable);
  return executable;
}
