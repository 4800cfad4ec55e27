import { readFileSync, readlinkSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JailList, OutdatedReport, UpdateReport } from '../../src/index.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { answer } from '../launch/fixtures.js';
import { HostLibrary } from './host-library.js';

explainSkipUnlessRoot('update --restart and its rollback, with a running service (real chroot launch, gcc, ldconfig)');

const ACCOUNT = `jws${process.pid}`;
const PORT = 30_000 + (process.pid % 10_000);

/** Logs its library version to its log directory, then answers it on PORT; a negative version is a broken upgrade: it runs but never listens. */
const SERVICE = String.raw`
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int jwsvc_version(void);
static void on_term(int sig) { (void)sig; _exit(0); }
int main(int argc, char **argv) {
  int version = jwsvc_version();
  signal(SIGTERM, on_term);
  FILE *log = fopen("/var/log/jwsvc/service.log", "a");
  if (log) { fprintf(log, "started with jwsvc %d\n", version); fclose(log); }
  if (version < 0 || argc < 2) for (;;) pause();
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) { perror("listen"); return 1; }
  char answer[32];
  int length = snprintf(answer, sizeof answer, "jwsvc %d\n", version);
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    (void)write(c, answer, (size_t)length);
    close(c);
  }
}
`;


describe.skipIf(!isRoot)('update --restart with a running service, and its rollback', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let library: HostLibrary;
  let recipe: string;
  let root: string;
  let libraryFile: string;

  const outdated = async () => {
    const result = await jailwright('outdated', root, '--json');
    return { code: result.code, report: JSON.parse(result.stdout) as OutdatedReport };
  };
  const update = async (...extra: string[]) => {
    const result = await jailwright('update', root, '--json', ...extra);
    expect(result.stderr).toBe('');
    return { code: result.code, report: JSON.parse(result.stdout) as UpdateReport };
  };
  const listed = async () => (JSON.parse((await jailwright('list', '--json')).stdout) as JailList).jails.find((jail) => jail.root === root);

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    process.env.JAILWRIGHT_REGISTRY = path.join(parent, 'registry');
    library = new HostLibrary(path.join(parent, 'prefix'), 'jwsvc');
    await library.register();
    libraryFile = await library.installLibrary(1, 1);
    const program = await library.installProgram('jwsvc-service', SERVICE);
    recipe = await writeRecipe(
      parent,
      'jwsvc',
      `specVersion: 1
name: jwsvc
jail:
  files: [${program}]
  users: [{ name: ${ACCOUNT}, create: true }]
  directories:
    - { path: /var/log/jwsvc, owner: ${ACCOUNT}, mode: "0750" }
launch:
  mode: engine-chroot
  command: [${program}, "${PORT}"]
  user: ${ACCOUNT}
  stop: { timeoutSeconds: 3 }
  readyTimeoutSeconds: 3
probes:
  - { type: tcp, port: ${PORT}, timeoutMs: 500 }
`,
    );
    root = path.join(parent, 'jwsvc');
    expect((await jailwright('build', recipe, '--root', root)).code).toBe(0);
    const started = await jailwright('start', recipe, '--root', root);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(await answer(PORT)).toBe('jwsvc 1\n');
  });

  afterAll(async () => {
    if (recipe) await jailwright('stop', recipe, '--root', root);
    await library?.remove();
    await run('userdel', [ACCOUNT]);
    await run('groupdel', [ACCOUNT]);
    delete process.env.JAILWRIGHT_REGISTRY;
    await cleanup?.();
  });

  it('outdated flags the library the running service still maps, before and after an update without --restart', async () => {
    expect((await listed())?.state).toBe('running');
    await library.installLibrary(1, 2);
    const before = await outdated();
    expect(before.code).toBe(1);
    expect(before.report.packages.flatMap((group) => group.files.map((file) => file.path))).toContain(libraryFile);
    expect(before.report.running.staleMappings.map((mapping) => mapping.path)).toContain(libraryFile);

    const { code, report } = await update();
    expect(code).toBe(0);
    expect(report.generation).not.toBe(report.previousGeneration);
    // The jail is fresh now, but the service still runs the old copy in the previous generation.
    const after = await outdated();
    expect(after.report.packages).toEqual([]);
    expect(after.report.running.staleMappings).toContainEqual(expect.objectContaining({ path: libraryFile, generation: report.previousGeneration }));
    expect(after.code).toBe(1);
    expect(await answer(PORT)).toBe('jwsvc 1\n');
    expect((await listed())?.state).toBe('stale');
    // What the service writes after the swap goes to the generation it still runs in.
    await appendFile(path.join(parent, '.jwsvc.jailwright', report.previousGeneration, 'var/log/jwsvc/service.log'), 'written after the swap\n');
  });

  it('update --restart restarts the service in the new generation and its probes pass; the log lives on', async () => {
    const { code, report } = await update('--restart');
    expect(code).toBe(0);
    expect(report.restart).toMatchObject({ restarted: true, ok: true, rolledBack: false });
    expect(await answer(PORT)).toBe('jwsvc 2\n');
    expect((await outdated()).code).toBe(0);
    expect((await listed())?.state).toBe('running');
    expect(readFileSync(path.join(root, 'var/log/jwsvc/service.log'), 'utf8')).toBe('started with jwsvc 1\nwritten after the swap\nstarted with jwsvc 2\n');
  });

  it('when the new generation fails its probe, update --restart rolls back to the previous generation and restarts it (exit 1)', async () => {
    const good = readlinkSync(root);
    await library.installLibrary(1, -1);
    const { code, report } = await update('--restart');
    expect(report.restart).toMatchObject({ restarted: true, ok: false, rolledBack: true });
    expect(report.restart?.problem).toContain(`tcp 127.0.0.1:${PORT}`);
    expect(code).toBe(1);
    expect(readlinkSync(root)).toBe(good);
    expect(report.generation).toBe(path.basename(good));
    expect(await answer(PORT)).toBe('jwsvc 2\n');
    expect((await listed())?.state).toBe('running');
    const text = await jailwright('status', recipe, '--root', root);
    expect(text.code).toBe(0);
    // The log keeps what the failed run wrote, then the restart of the previous generation.
    expect(readFileSync(path.join(root, 'var/log/jwsvc/service.log'), 'utf8')).toBe(
      'started with jwsvc 1\nwritten after the swap\nstarted with jwsvc 2\nstarted with jwsvc -1\nstarted with jwsvc 2\n',
    );
    const verified = await jailwright('verify', root);
    // Clean while it runs: the /dev/log socket start binds and the log lines are not drift.
    expect(verified.stdout).toContain('clean: every path matches the manifest');
    expect(verified.code).toBe(0);
  });
});
