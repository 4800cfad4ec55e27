import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RsyslogInstance } from '../../src/index.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { startPrivateRsyslog, waitForLines } from '../syslog/support.js';
import { answer } from './fixtures.js';

explainSkipUnlessRoot('the build → start → check → logs → stop test');

const ACCOUNT = `jwe${process.pid}`;
const PORT = 20_000 + (process.pid % 20_000);

/** A small network service: listens on 127.0.0.1:PORT, says hello, and logs through syslog(3) as it starts. */
const SERVICE_SOURCE = String.raw`
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>
static void on_term(int sig) { (void)sig; _exit(0); }
int main(int argc, char **argv) {
  signal(SIGTERM, on_term);
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) return 1;
  openlog("e2e", LOG_PID, LOG_DAEMON);
  syslog(LOG_INFO, "e2e service listening on %d", port);
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    const char *hello = "hello from the jail\n";
    (void)write(c, hello, strlen(hello));
    close(c);
  }
}
`;

describe.skipIf(!isRoot)('a service from recipe to answer: build, start, check, logs, stop', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let rsyslog: RsyslogInstance;
  let rsyslogDirectory: string;
  let recipe: string;
  let root: string;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    const program = path.join(parent, 'e2e-service');
    await writeFile(`${program}.c`, SERVICE_SOURCE);
    expect((await run('gcc', ['-O2', '-o', program, `${program}.c`])).stderr).toBe('');
    // The host's syslog, played by a private rsyslogd: the relay forwards the jail's messages to its socket.
    rsyslogDirectory = path.join(parent, 'host-syslog');
    const hostSocket = path.join(rsyslogDirectory, 'log.sock');
    rsyslog = await startPrivateRsyslog(rsyslogDirectory, [`input(type="imuxsock" Socket="${hostSocket}" Annotate="on" ParseTrusted="on")`], [hostSocket]);
    recipe = await writeRecipe(
      parent,
      'e2e',
      `specVersion: 1
name: e2e
jail:
  include: [base]
  files: [{ path: ${program}, to: /usr/sbin/e2e-service }]
  users: [{ name: ${ACCOUNT}, create: true }]
launch:
  mode: engine-chroot
  command: [/usr/sbin/e2e-service, "${PORT}"]
  user: ${ACCOUNT}
  stop: { timeoutSeconds: 3 }
syslog:
  method: relay
  target: ${hostSocket}
probes:
  - { type: tcp, port: ${PORT} }
  - { type: process, user: ${ACCOUNT} }
`,
    );
    root = path.join(parent, 'e2e');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
  });

  afterAll(async () => {
    await jailwright('stop', recipe, '--root', root, '--purge');
    await rsyslog?.stop();
    await run('userdel', [ACCOUNT]);
    await run('groupdel', [ACCOUNT]);
    await cleanup?.();
  });

  it('answers, passes its probes, logs through the relay as its own user, and stops clean', async () => {
    const start = await jailwright('start', recipe, '--root', root);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    // The service runs under the launcher's Landlock scopes; the relay's /dev/log is a path socket, which they leave alone.
    expect(start.stdout).toMatch(/landlock: Landlock scopes abstract-unix-socket, signal in force/);
    const status = JSON.parse((await jailwright('status', recipe, '--root', root, '--json')).stdout) as { landlock?: { inForce: boolean } };
    expect(status.landlock?.inForce).toBe(true);

    expect(await answer(PORT)).toBe('hello from the jail\n');

    const check = await jailwright('check', recipe, '--root', root);
    expect(check.stdout).toContain('all probes passed');
    expect(check.code).toBe(0);

    const uid = (await run('id', ['-u', ACCOUNT])).stdout.trim();
    const [line] = await waitForLines(rsyslogDirectory, 'e2e service listening');
    expect(line).toMatch(new RegExp(`^e2e/e2e\\[\\d+\\]:\\|uid=${uid}\\|`));

    const logs = await jailwright('logs', recipe, '--root', root, '--json');
    expect(logs.code).toBe(0);
    const report = JSON.parse(logs.stdout) as { logs: { what: string; path: string; exists: boolean }[]; syslog: string };
    expect(report.logs.find((log) => log.what === 'service stdout and stderr')?.path).toBe(path.join(parent, '.e2e.jailwright/launch/service.log'));
    expect(report.syslog).toMatch(/relay/);

    const stop = await jailwright('stop', recipe, '--root', root);
    expect(stop.code).toBe(0);
    const after = await jailwright('check', recipe, '--root', root);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/FAIL .*not running/);
    expect(after.stdout).toMatch(/FAIL tcp 127\.0\.0\.1:\d+/);
  });
});
