import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';
import { corePackageFile } from '../package-file.js';

/*
 * Helpers for the tests of recipe packages (`@jailwright/core/testing`): running commands without
 * throwing, free loopback ports, scratch jail parents, and leaving the host's accounts as the test found them.
 * `@jailwright/core/testing/helpers` is this file alone, without vitest, for scripts (the benchmarks).
 */

const execFileAsync = promisify(execFile);

/** The built `jailwright` command of this package (dist/cli/main.js), for tests that build recipes they generate. */
export const JAILWRIGHT_CLI: string = corePackageFile('dist/cli/main.js');

/** What a command did: its exit code (-1 when it could not run or was killed) and its output. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and returns its exit code and output without throwing on failure. */
export async function runCommand(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync(command, [...args], { env: options.env ?? process.env, timeout: options.timeout ?? 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** A loopback TCP port nothing listens on right now. */
export async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A loopback port free for both TCP and UDP right now (for a service that listens on both, as named does). */
export async function freeTcpUdpPort(): Promise<number> {
  for (;;) {
    const port = await freeTcpPort();
    const socket = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    socket.close();
    if (udpFree) return port;
  }
}

/** The host's entry for a name in /etc/passwd or /etc/group, split at ":" ([name, x, id, ...]), or undefined. */
export function hostAccountEntry(file: '/etc/passwd' | '/etc/group', name: string): string[] | undefined {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
}

/**
 * Notes whether a service account (user and group of one name) exists now; `restore()` deletes only what
 * appeared since, so an operator's own account of that name is left alone.
 */
export function rememberAccount(name: string): { restore: () => Promise<void> } {
  const userExisted = hostAccountEntry('/etc/passwd', name) !== undefined;
  const groupExisted = hostAccountEntry('/etc/group', name) !== undefined;
  return {
    restore: async () => {
      if (!userExisted && hostAccountEntry('/etc/passwd', name)) await runCommand('userdel', [name]);
      if (!groupExisted && hostAccountEntry('/etc/group', name)) await runCommand('groupdel', [name]);
    },
  };
}

/**
 * A scratch parent for jail roots: under /var/lib, root-owned 0755, so the engine's parent checks pass.
 * (The OS temp dir is world-writable, which the engine rightly refuses.)
 */
export async function makeJailParent(prefix = 'jailwright-test-'): Promise<{ parent: string; cleanup: () => Promise<void> }> {
  const parent = await mkdtemp(`/var/lib/${prefix}`);
  await chmod(parent, 0o755);
  return { parent, cleanup: () => rm(parent, { recursive: true, force: true }) };
}
