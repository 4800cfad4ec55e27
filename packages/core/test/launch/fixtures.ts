import { readFileSync, readlinkSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaunchState } from '../../src/index.js';

/**
 * The test service: pauses until SIGTERM (then exits 0, after TEST_SERVICE_STOP_DELAY_MS milliseconds when
 * that is set, as a service that takes a while to shut down). With `--chroot DIR UID GID` it first chroots
 * itself and drops to UID/GID with no supplementary groups, like `named -u -t`, and fails if it could
 * become root again.
 */
export const TEST_SERVICE_SOURCE = String.raw`
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static long stop_delay_ms;
static void on_term(int sig) {
  (void)sig;
  struct timespec delay = { stop_delay_ms / 1000, (stop_delay_ms % 1000) * 1000000 };
  if (stop_delay_ms > 0) nanosleep(&delay, NULL);
  _exit(0);
}
int main(int argc, char **argv) {
  const char *delay = getenv("TEST_SERVICE_STOP_DELAY_MS");
  if (delay) stop_delay_ms = atol(delay);
  signal(SIGTERM, on_term);
  if (argc >= 5 && strcmp(argv[1], "--chroot") == 0) {
    if (chroot(argv[2]) != 0 || chdir("/") != 0) { perror("chroot"); return 111; }
    if (setgroups(0, NULL) != 0 || setgid((gid_t)atoi(argv[4])) != 0 || setuid((uid_t)atoi(argv[3])) != 0) { perror("drop"); return 112; }
    if (setuid(0) == 0) { fprintf(stderr, "regained root\n"); return 113; }
  }
  printf("test service %d up\n", (int)getpid());
  fflush(stdout);
  for (;;) pause();
}
`;

/** What the fence must look like from /proc, for one process. */
export interface Expected {
  uid: number;
  gid: number;
  groups: number[];
  root: string;
}

function status(pid: number): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const index = line.indexOf(':');
    if (index > 0) fields.set(line.slice(0, index), line.slice(index + 1).trim());
  }
  return fields;
}

/** Every way the process at `pid` falls short of the launch fence, by name; empty when it passes all. */
export function fenceFailures(pid: number, expected: Expected): Record<string, string> {
  const failures: Record<string, string> = {};
  const fields = status(pid);
  const ids = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean).map(Number);
  if (ids('Uid').some((id) => id !== expected.uid)) failures.uid = `Uid ${fields.get('Uid')}, expected ${expected.uid}`;
  if (ids('Gid').some((id) => id !== expected.gid)) failures.gid = `Gid ${fields.get('Gid')}, expected ${expected.gid}`;
  const groups = ids('Groups').sort((a, b) => a - b);
  if (JSON.stringify(groups) !== JSON.stringify([...expected.groups].sort((a, b) => a - b))) failures.groups = `Groups ${groups.join(',')}, expected ${expected.groups.join(',')}`;
  if (fields.get('NoNewPrivs') !== '1') failures.noNewPrivs = `NoNewPrivs ${fields.get('NoNewPrivs')}`;
  if (BigInt(`0x${fields.get('CapEff')}`) !== 0n) failures.capEff = `CapEff ${fields.get('CapEff')}`;
  if (BigInt(`0x${fields.get('CapPrm')}`) !== 0n) failures.capPrm = `CapPrm ${fields.get('CapPrm')}`;
  const root = readlinkSync(`/proc/${pid}/root`);
  if (root !== expected.root) failures.root = `root ${root}, expected ${expected.root}`;
  const descriptors = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  if (descriptors.some((fd) => fd > 2)) {
    failures.fds = `fds ${descriptors.map((fd) => `${fd}->${readlinkSync(`/proc/${pid}/fd/${fd}`)}`).join(', ')}`;
  }
  const session = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[3]);
  if (session !== pid) failures.session = `session ${session}, expected a new one (${pid})`;
  for (const namespace of ['mnt', 'pid', 'ipc', 'uts']) {
    if (statSync(`/proc/${pid}/ns/${namespace}`).ino === statSync(`/proc/self/ns/${namespace}`).ino) failures[`${namespace}Namespace`] = `shares the host ${namespace} namespace`;
  }
  // In the service's own mount namespace its root is a mount point remounted nodev,nosuid.
  const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .find((fields_) => fields_[4] === '/');
  const options = rootMount?.[5]?.split(',') ?? [];
  if (!options.includes('nodev') || !options.includes('nosuid')) failures.mount = `jail root mounted ${rootMount?.[5] ?? '(not a mount point)'}`;
  return failures;
}

/** The PIDs a launch state names: service, launcher and supervisor. */
export function pidsOf(state: LaunchState): number[] {
  return [state.service?.pid, state.launcher?.pid, state.supervisor.pid].filter((pid): pid is number => pid !== undefined);
}

/** True while the process runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls until `probe` returns a value, or fails naming what it waited for. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Connects to 127.0.0.1:`port` and returns everything the service writes before it closes the connection. */
export function answer(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}
