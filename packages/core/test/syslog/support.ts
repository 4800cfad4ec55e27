import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { jailLayout, startRsyslogInstance, type RsyslogInstance } from '../../src/index.js';
import { jailwright, writeRecipe } from '../support/root.js';

/** The unprivileged account the jailed logger runs as (nobody:nogroup), numeric so chroot needs no lookup. */
export const SERVICE_USER = '65534:65534';

/** Builds a jail holding /usr/bin/logger with the engine CLI; returns its root and state directory. */
export async function buildLoggerJail(parent: string, name: string): Promise<{ root: string; stateDir: string }> {
  const recipe = await writeRecipe(
    parent,
    name,
    `specVersion: 1\nname: ${name}\njail:\n  include: [base]\n  files: [/usr/bin/logger]\n  users: [nobody]\n`,
  );
  const root = path.join(parent, name);
  const built = await jailwright('build', recipe, '--root', root);
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
  return { root, stateDir: jailLayout(root).state };
}

/** A private rsyslogd config: no system socket, `inputs` lines, one output file with the sender's trusted uid/gid/pid. */
export function privateRsyslogConfig(directory: string, inputs: string[]): string {
  return [
    `global(workDirectory="${directory}" maxMessageSize="64k")`,
    'module(load="imuxsock" SysSock.Use="off")',
    ...inputs,
    'template(name="jailwright_test" type="string" string="%syslogtag%|uid=%$!uid%|gid=%$!gid%|pid=%$!pid%|%msg%\\n")',
    `*.* action(type="omfile" file="${directory}/out.log" template="jailwright_test")`,
    '',
  ].join('\n');
}

/** Starts a private rsyslogd in `directory` that waits for `sockets`. */
export function startPrivateRsyslog(directory: string, inputs: string[], sockets: string[]): Promise<RsyslogInstance> {
  return startRsyslogInstance({ directory, config: privateRsyslogConfig(directory, inputs), waitFor: sockets });
}

/** The lines of the private rsyslog's output that contain `marker`. */
export async function linesWith(directory: string, marker: string): Promise<string[]> {
  const text = await readFile(path.join(directory, 'out.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.includes(marker));
}

/** Waits until at least `count` output lines contain `marker` (or `timeoutMs` passes) and returns them. */
export async function waitForLines(directory: string, marker: string, count = 1, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = await linesWith(directory, marker);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await sleep(lines.length > 0 ? 50 : 20);
  }
}

/**
 * Starts /usr/bin/logger inside the jail as the service user, reading messages from stdin (one per line),
 * so the process stays alive while the test writes: the relay can then pass its credentials on.
 */
export function jailedLogger(root: string, tag: string, extra: string[] = []) {
  const child = spawn('chroot', [`--userspec=${SERVICE_USER}`, root, '/usr/bin/logger', '-t', tag, ...extra], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid ?? -1,
    /** Writes one message. */
    send(line: string) {
      child.stdin.write(`${line}\n`);
    },
    /** Ends stdin and waits for logger to exit; returns its exit code and error output. */
    async close() {
      child.stdin.end();
      const code = await exited;
      return { code, stderr };
    },
  };
}

/** Runs logger in the jail with `lines` on stdin, waits for it, and returns its exit code and error output. */
export async function sendThroughJail(root: string, tag: string, lines: string[], extra: string[] = []) {
  const logger = jailedLogger(root, tag, extra);
  logger.send(lines.join('\n'));
  return logger.close();
}

/** The relay's peak and current resident memory, in KiB, from /proc. */
export async function memoryOf(pid: number): Promise<{ rssKiB: number; peakKiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
}
