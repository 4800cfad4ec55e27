import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, explainSkipUnlessRoot, isRoot, makeJailParent, run, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the compile tests (they install into a prefix, record the compile and build a jail)');

/**
 * A real, small C project (configure script, Makefile, main.c) built by `jailwright compile` with the host's
 * gcc and make, then jailed by `build` in place of /usr/bin/true. The compile record goes to a private
 * JAILWRIGHT_STATE_DIR, so no other jail on the machine is affected.
 */
const CONFIGURE = `#!/bin/sh
prefix=/usr/local
greeting=hello
for argument in "$@"; do
  case "$argument" in
    --prefix=*) prefix="\${argument#--prefix=}" ;;
    --greeting=*) greeting="\${argument#--greeting=}" ;;
    *) echo "configure: unknown option $argument" >&2; exit 1 ;;
  esac
done
echo "checking for a C compiler... \${CC:-cc}"
printf 'PREFIX=%s\\nGREETING=%s\\n' "$prefix" "$greeting" > config.mk
`;
const MAKEFILE = `include config.mk
SUFFIX ?=
greet: main.c
\tcc -O2 -DGREETING='"$(GREETING)$(SUFFIX)"' -o greet main.c
install: greet
\tmkdir -p $(DESTDIR)$(PREFIX)/bin
\tcp greet $(DESTDIR)$(PREFIX)/bin/greet
`;
const MAIN = `#include <stdio.h>
int main(void) { puts(GREETING); return 0; }
`;

describe.skipIf(!isRoot)('jailwright compile: a real C build, recorded, then jailed by build', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let stateDir: string;
  let recipe: string;
  let tarball: string;
  let tree: string;
  let prefix: string;
  const name = `compiletest${process.pid}`;
  const jailwright = (...args: string[]) =>
    run(process.execPath, [CLI, ...args], { env: { ...process.env, JAILWRIGHT_STATE_DIR: stateDir }, timeout: 120_000 });

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    stateDir = path.join(parent, 'state');
    prefix = path.join(parent, 'prefix');
    tree = path.join(parent, 'greet-1.0');
    await mkdir(tree);
    await writeFile(path.join(tree, 'configure'), CONFIGURE, { mode: 0o755 });
    await writeFile(path.join(tree, 'Makefile'), MAKEFILE);
    await writeFile(path.join(tree, 'main.c'), MAIN);
    tarball = path.join(parent, 'greet-1.0.tar.gz');
    expect((await run('tar', ['-czf', tarball, '-C', parent, 'greet-1.0'])).code).toBe(0);
    const sha256 = createHash('sha256').update(readFileSync(tarball)).digest('hex');
    recipe = await writeRecipe(
      parent,
      name,
      `specVersion: 1
name: ${name}
jail:
  files: [/usr/bin/true]
build:
  releases:
    - { version: "1.0", sha256: ${sha256}, files: [greet-1.0.tar.gz] }
  profiles:
    default:
      prefix: /opt/${name}
      configure: [--greeting=compiled]
      make: { SUFFIX: "-by-jailwright" }
      replaces: { /usr/bin/true: bin/greet }
    failing:
      prefix: /opt/${name}
      steps: [{ name: broken, run: [sh, -c, "echo the compiler said no; exit 7"] }]
    no-tool:
      prefix: /opt/${name}
      steps: [{ name: absent, run: [jailwright-no-such-build-tool] }]
    no-install:
      prefix: /opt/${name}
      steps: [{ name: nothing, run: ["true"] }]
      replaces: { /usr/bin/true: bin/greet }
`,
    );
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('builds a verified tarball with phases on stderr and the full output in the log, and records the prefix', async () => {
    const log = path.join(parent, 'compile.log');
    const result = await jailwright('compile', recipe, '--source', tarball, '--prefix', prefix, '--jobs', '2', '--log', log);
    expect(result.stderr).toContain('[1/6] unpack...');
    expect(result.stderr).toMatch(/\[3\/6\] configure done in [\d.]+s/);
    expect(result.stderr).toMatch(/\[6\/6\] place done/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('source: ');
    expect(result.stdout).toContain('sha256 matches release 1.0');
    expect(result.stdout).toContain(`${prefix}/bin/greet for /usr/bin/true`);
    const text = await readFile(log, 'utf8');
    expect(text).toContain('checking for a C compiler');
    expect(text).toContain("cc -O2 -DGREETING='\"compiled-by-jailwright\"'");
    expect((await run(`${prefix}/bin/greet`, [])).stdout).toBe('compiled-by-jailwright\n');
    const record = JSON.parse(await readFile(path.join(stateDir, 'compiled', `${name}.json`), 'utf8'));
    expect(record).toMatchObject({ recipe: name, profile: 'default', prefix, replaces: { '/usr/bin/true': `${prefix}/bin/greet` }, source: { verified: true, version: '1.0' } });
    // the scratch build tree is gone after a success; the staged install went to the prefix
    expect(existsSync(`${prefix}.jailwright-new`)).toBe(false);
  });

  it('build then jails the compiled program in place of the host file, and --forget brings the host file back', async () => {
    const root = path.join(parent, 'jail');
    const built = await jailwright('build', recipe, '--root', root, '--no-audit');
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/note: built from source by `jailwright compile` \(profile default/);
    expect((await run('chroot', [root, '/usr/bin/true'])).stdout).toBe('compiled-by-jailwright\n');
    const manifestEntries = JSON.stringify(JSON.parse(await readFile(path.join(built.stdout.match(/manifest: (\S+)/)![1]!), 'utf8')));
    expect(manifestEntries).toContain(`${prefix}/bin/greet`);

    const unchanged = await jailwright('build', recipe, '--root', root, '--no-audit');
    expect(unchanged.stdout).toContain('up to date');

    const forget = await jailwright('compile', recipe, '--forget');
    expect(forget.code).toBe(0);
    expect(forget.stdout).toContain('forgot');
    const rebuilt = await jailwright('build', recipe, '--root', root, '--no-audit');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).not.toContain('up to date');
    expect(readFileSync(path.join(root, 'usr/bin/true'))).toEqual(readFileSync('/usr/bin/true'));
    expect((await jailwright('compile', recipe, '--forget')).stdout).toContain('has no compile record');
  });

  it('takes a source tree without building in it, and says so in --json', async () => {
    const before = (await readdir(tree)).sort();
    const result = await jailwright('compile', recipe, '--source', tree, '--prefix', prefix, '--json', '--log', path.join(parent, 'tree.log'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const outcome = JSON.parse(result.stdout);
    expect(outcome.source).toEqual({ path: tree, kind: 'directory', verified: false });
    expect(outcome.phases.map((phase: { name: string }) => phase.name)).toEqual(['unpack', 'prepare', 'configure', 'make', 'install', 'place']);
    expect(outcome.recordFile).toBe(path.join(stateDir, 'compiled', `${name}.json`));
    expect((await readdir(tree)).sort()).toEqual(before);
    await jailwright('compile', recipe, '--forget');
  });

  it('refuses a tarball named as a known release whose bytes differ (exit 2) and builds nothing', async () => {
    const other = path.join(parent, 'tampered');
    await mkdir(path.join(other, 'greet-1.0'), { recursive: true });
    await writeFile(path.join(other, 'greet-1.0', 'main.c'), 'int main(void) { return 1; }\n');
    const tampered = path.join(other, 'greet-1.0.tar.gz');
    expect((await run('tar', ['-czf', tampered, '-C', other, 'greet-1.0'])).code).toBe(0);
    const result = await jailwright('compile', recipe, '--source', tampered, '--prefix', path.join(parent, 'never'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/greet-1\.0\.tar\.gz is release 1\.0, but its sha256 [0-9a-f]{64} is not the recipe's [0-9a-f]{64}: refusing to build it/);
    expect(existsSync(path.join(parent, 'never'))).toBe(false);
  });

  it('a failing step exits 1 naming the log; a missing tool exits 3; an install that put nothing exits 1', async () => {
    const log = path.join(parent, 'failing.log');
    const failing = await jailwright('compile', recipe, '--source', tree, '--profile', 'failing', '--prefix', prefix, '--log', log);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('build step `sh -c echo the compiler said no; exit 7` failed (exit 7)');
    expect(failing.stderr).toContain(`the full output is in ${log}`);
    expect(failing.stderr).toMatch(/the build tree is kept in \/var\/tmp\/jailwright-compile\//);
    expect(await readFile(log, 'utf8')).toContain('the compiler said no');
    const kept = /the build tree is kept in (\S+)/.exec(failing.stderr)![1]!;
    await run('rm', ['-rf', kept]);

    const noTool = await jailwright('compile', recipe, '--source', tree, '--profile', 'no-tool', '--prefix', prefix, '--work-dir', path.join(parent, 'work-no-tool'));
    expect(noTool.code).toBe(3);
    expect(noTool.stderr).toContain('jailwright-no-such-build-tool is not installed');

    const noInstall = await jailwright('compile', recipe, '--source', tree, '--profile', 'no-install', '--prefix', path.join(parent, 'empty'), '--work-dir', path.join(parent, 'work-empty'));
    expect(noInstall.code).toBe(1);
    expect(noInstall.stderr).toContain('the install step put nothing in');
    expect(existsSync(path.join(stateDir, 'compiled', `${name}.json`))).toBe(false);
  });

  it('bad input exits 2: no --source, an unknown profile, a recipe without a build section', async () => {
    expect((await jailwright('compile', recipe)).stderr).toContain('compile needs --source');
    const unknown = await jailwright('compile', recipe, '--source', tree, '--profile', 'bind4', '--dry-run');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no build profile "bind4"');
    const plain = await writeRecipe(parent, 'plain', 'specVersion: 1\nname: plain\njail: { files: [/usr/bin/true] }\n');
    const none = await jailwright('compile', plain, '--source', tree);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('has no build section');
  });
});
