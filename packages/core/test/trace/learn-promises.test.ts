/**
 * What makejail gets wrong, each checked on a small daemon built here with gcc: it asks for several files per
 * run and goes on, lists a directory, reads through an absolute symlink, opens /etc/shadow, /proc and /sys
 * files and a setuid program, writes a pidfile with O_EXCL (refusing to start when one is left over), and
 * ignores SIGTERM, so learning has to kill it with SIGKILL. A decoy copy of the same program runs outside the
 * jail under the same name: learning stops its own run by PID and start time, never by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/recipe/load.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { compile, haveGcc } from './support.js';
import { freeTcpPort } from '../../src/testing/index.js';

explainSkipUnlessRoot("learn's promises");
if (isRoot && !haveGcc) console.warn("skipping learn's promises: gcc is not installed");

const DAEMON = `#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static int readable(const char *file) {
  int fd = open(file, O_RDONLY);
  if (fd < 0) { fprintf(stderr, "cannot read %s\\n", file); return 0; }
  close(fd);
  return 1;
}
int main(int argc, char **argv) {
  signal(SIGTERM, SIG_IGN);
  if (argc > 1 && strcmp(argv[1], "decoy") == 0) for (;;) pause();
  const char *data = argv[1];
  char file[512];
  int ok = 1;
  snprintf(file, sizeof file, "%s/link", data); ok &= readable(file);
  ok &= readable("/usr/bin/su");
  readable("/etc/shadow");
  readable("/proc/self/status");
  readable("/sys/kernel/mm/transparent_hugepage/enabled");
  snprintf(file, sizeof file, "%s/listed", data);
  DIR *listed = opendir(file);
  int entries = 0;
  if (listed) { for (struct dirent *entry; (entry = readdir(listed));) if (entry->d_name[0] != '.') entries++; closedir(listed); }
  ok &= entries == 2;
  if (argc > 3 && strcmp(argv[3], "needs-absent") == 0) ok &= readable("/etc/jwlearn-absent.conf");
  int pidfile = open("/var/run/jwlearn/daemon.pid", O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (pidfile < 0) { perror("/var/run/jwlearn/daemon.pid (left over from a run that was killed?)"); return 1; }
  dprintf(pidfile, "%d\\n", getpid());
  close(pidfile);
  if (!ok) return 1;
  int server = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(server, (struct sockaddr *)&address, sizeof address) != 0 || listen(server, 8) != 0) { perror("listen"); return 1; }
  for (;;) {
    int client = accept(server, 0, 0);
    snprintf(file, sizeof file, "%s/served.txt", data);
    readable(file);
    close(client);
  }
}
`;

function recipeText(program: string, data: string, port: number, extra = ''): string {
  return `# A daemon that asks for a lot and dies hard.
specVersion: 1
name: jwlearnd
jail:
  include: [base]
  files:
    - ${program}   # the daemon
launch:
  mode: engine-chroot
  command: [${program}, ${data}, "${port}"${extra}]
  user: nobody
  sharedUser: true   # nobody is everybody's
  stop: { timeoutSeconds: 1 }
syslog: { method: none }
probes:
  - { type: tcp, port: ${port} }
`;
}

/** Every symlink under a directory, with its target. */
async function symlinksUnder(directory: string): Promise<{ link: string; target: string }[]> {
  const out: { link: string; target: string }[] = [];
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink()) {
      const link = path.join(entry.parentPath, entry.name);
      out.push({ link, target: readlinkSync(link) });
    }
  }
  return out;
}

describe.skipIf(!isRoot || !haveGcc)("learn's promises, on a daemon built here", () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let program: string;
  let data: string;
  let decoy: ChildProcess;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    await mkdir(path.join(parent, 'bin'));
    program = await compile(path.join(parent, 'src'), 'jwlearnd', DAEMON, path.join(parent, 'bin', 'jwlearnd'));
    data = path.join(parent, 'data');
    await mkdir(path.join(data, 'listed'), { recursive: true });
    await writeFile(path.join(data, 'real.txt'), 'read through an absolute link\n');
    await symlink(path.join(data, 'real.txt'), path.join(data, 'link'));
    await writeFile(path.join(data, 'listed', 'a.conf'), 'a\n');
    await writeFile(path.join(data, 'listed', 'b.conf'), 'b\n');
    await writeFile(path.join(data, 'served.txt'), 'served\n');
    // The same program, under the same name, outside any jail.
    const decoyProgram = path.join(parent, 'decoy', 'jwlearnd');
    await mkdir(path.dirname(decoyProgram));
    await copyFile(program, decoyProgram);
    await run('chmod', ['755', decoyProgram]);
    decoy = spawn(decoyProgram, ['decoy'], { stdio: 'ignore' });
  });
  afterAll(async () => {
    decoy?.kill('SIGKILL');
    await cleanup?.();
  });

  it('learns all misses per run, survives its own kill -9, leaves the decoy alone, skips kernel files and secrets, strips setuid, rewrites absolute links', async () => {
    const recipe = await writeRecipe(parent, 'daemon', recipeText(program, data, await freeTcpPort()));
    const root = path.join(parent, 'daemon');
    const learned = await jailwright('learn', recipe, '--root', root, '--write');
    console.info(`learn on the test daemon: ${learned.stdout.match(/learned in .*/)?.[0] ?? learned.stdout}`);
    expect(learned.stderr).toBe('');
    expect(learned.code).toBe(0);
    expect(learned.stdout).toMatch(/learned in 3 runs/);
    const runs = learned.stdout.split(/^(?=run \d+: )/m).filter((part) => part.startsWith('run '));
    expect(runs.map((part) => part.split(':')[0])).toEqual(['run 1', 'run 2', 'run 3']);

    // Run 1: every miss at once, though the daemon exits at its pidfile.
    expect(runs[0]).toMatch(/^run 1: service exited \(code 1\)/);
    expect(runs[0]).toContain(`+ file ${data}/link: ENOENT openat`);
    expect(runs[0]).toContain('+ file /usr/bin/su: ENOENT openat');
    expect(runs[0]).toContain(`+ file ${data}/listed: ENOENT openat ${data}/listed: the service lists it`);
    expect(runs[0]).toContain('+ directory /run/jwlearn (owner nobody)');
    expect(runs[0]).toContain('! /etc/shadow: asked for (openat, ENOENT) and skipped: password hashes');
    expect(runs[0]).toContain('! /proc/self/status: asked for (openat, ENOENT) and skipped: kernel filesystem /proc');
    expect(runs[0]).toContain('! /sys/kernel/mm/transparent_hugepage/enabled: asked for (openat, ENOENT) and skipped: kernel filesystem /sys');
    // Run 2: probes pass, a request asks for one more file; the daemon ignores SIGTERM and is killed.
    expect(runs[1]).toMatch(/^run 2: probes passed; 1 to add/);
    expect(runs[1]).toContain(`+ file ${data}/served.txt`);
    const state = path.join(parent, '.daemon.jailwright');
    expect(await readFile(path.join(state, 'learn', 'run-2.strace'), 'utf8')).toMatch(/\+\+\+ killed by SIGKILL \+\+\+/);
    // Run 3 starts clean: a new generation has no pidfile left over from the killed run 2.
    expect(runs[2]).toMatch(/^run 3: probes passed; 0 to add/);
    expect(await readFile(path.join(state, 'learn', 'run-3.strace'), 'utf8')).toMatch(/openat\(AT_FDCWD, "\/var\/run\/jwlearn\/daemon\.pid", O_WRONLY\|O_CREAT\|O_EXCL, 0644\) = \d+/);
    expect(decoy.exitCode).toBeNull();
    expect((await run('kill', ['-0', String(decoy.pid)])).code).toBe(0);

    const text = await readFile(recipe, 'utf8');
    expect(text).toContain('# A daemon that asks for a lot and dies hard.\n');
    expect(text).not.toMatch(/shadow|keepSetuid|\/proc|\/sys\//);
    const written = parseRecipe(text, recipe);
    expect(written.jail?.files).toEqual(expect.arrayContaining([`${data}/link`, '/usr/bin/su', `${data}/listed`, `${data}/served.txt`]));

    const jail = realpathSync(root);
    expect(statSync(path.join(jail, 'usr/bin/su')).mode & 0o7777).toBe(0o755);
    expect(existsSync(path.join(jail, 'etc/shadow'))).toBe(false);
    expect(await readdir(path.join(jail, data.slice(1), 'listed'))).toEqual(['a.conf', 'b.conf']);
    const link = path.join(jail, data.slice(1), 'link');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(path.join(jail, data.slice(1), 'real.txt'));
    expect((await symlinksUnder(jail)).filter((entry) => entry.target.startsWith('/'))).toEqual([]);
    for (const kernel of ['proc', 'sys']) expect(await readdir(path.join(jail, kernel)).catch(() => [])).toEqual([]);
  });

  it('is bounded: --max-iterations 1 prints its one run, exits 1, and without --write leaves the recipe alone and prints the diff', async () => {
    const body = recipeText(program, data, await freeTcpPort());
    const recipe = await writeRecipe(parent, 'bounded', body.replace('name: jwlearnd', 'name: jwlearnd-bounded'));
    const learned = await jailwright('learn', recipe, '--root', path.join(parent, 'bounded'), '--max-iterations', '1');
    expect(learned.code).toBe(1);
    expect(learned.stdout).toMatch(/^run 1: /m);
    expect(learned.stdout).not.toMatch(/^run 2: /m);
    expect(learned.stdout).toContain('no convergence after 1 runs');
    expect(learned.stdout).toContain(`+++ ${recipe} (learned)`);
    expect(learned.stdout).toContain('+    - /usr/bin/su # learned: ENOENT openat /usr/bin/su');
    expect(await readFile(recipe, 'utf8')).toBe(body.replace('name: jwlearnd', 'name: jwlearnd-bounded'));
  });

  it('without progress exits 1 and names what is still missing and why', async () => {
    const body = recipeText(program, data, await freeTcpPort(), ', needs-absent').replace('name: jwlearnd', 'name: jwlearnd-stalls');
    const recipe = await writeRecipe(parent, 'stalls', body);
    const learned = await jailwright('learn', recipe, '--root', path.join(parent, 'stalls'));
    expect(learned.code).toBe(1);
    expect(learned.stdout).toMatch(/not converged after 2 runs/);
    expect(learned.stdout).toContain('the service exited (code 1) and asked for nothing the host has that the jail lacks');
    expect(learned.stdout).toContain('ENOENT openat /etc/jwlearn-absent.conf: the host has no such file either');
    expect(learned.stdout).toContain('cannot read /etc/jwlearn-absent.conf');
  });

  it('exits 1 when the daemon never ran', async () => {
    const recipe = await writeRecipe(parent, 'never', recipeText('/usr/sbin/jwlearn-no-such-daemon', data, await freeTcpPort()).replace('name: jwlearnd', 'name: jwlearnd-never').replace(/^    - \/usr\/sbin\/jwlearn-no-such-daemon.*\n/m, '    - /usr/bin/true\n'));
    const learned = await jailwright('learn', recipe, '--root', path.join(parent, 'never'));
    expect(learned.code).toBe(1);
    expect(learned.stdout).toMatch(/not converged after \d runs/);
    expect(learned.stdout).toContain('the service never ran in the jail (/usr/sbin/jwlearn-no-such-daemon was never executed there');
    expect(learned.stdout).toContain('ENOENT execve /usr/sbin/jwlearn-no-such-daemon: the host has no such file either');
  });
});
