import { readlinkSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutdatedReport, UpdateReport } from '../../src/index.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';
import { compile } from '../trace/support.js';
import { HostLibrary } from './host-library.js';

explainSkipUnlessRoot('outdated and update against a real host library change (gcc, ld.so.conf.d, ldconfig, chroot)');

const PROGRAM = String.raw`
#include <stdio.h>
int jwup_version(void);
int main(void) { printf("jwup %d\n", jwup_version()); return 0; }
`;

describe.skipIf(!isRoot)('outdated and update after a host upgrade of a library the jail uses', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let library: HostLibrary;
  let recipe: string;
  let root: string;
  let program: string;

  const runInJail = () => run('chroot', [root, program]);
  const outdated = async () => {
    const result = await jailwright('outdated', root, '--json');
    return { code: result.code, report: JSON.parse(result.stdout) as OutdatedReport };
  };
  const outdatedPaths = (report: OutdatedReport) => report.packages.flatMap((group) => group.files.map((file) => `${file.change} ${file.path}`));

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    process.env.JAILWRIGHT_REGISTRY = path.join(parent, 'registry');
    library = new HostLibrary(path.join(parent, 'prefix'), 'jwup');
    await library.register();
    await library.installLibrary(1, 1);
    program = await library.installProgram('jwup-prog', PROGRAM);
    recipe = await writeRecipe(parent, 'jwup', `specVersion: 1\nname: jwup\njail:\n  files: [${program}]\n`);
    root = path.join(parent, 'jwup');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect((await runInJail()).stdout).toBe('jwup 1\n');
  });

  afterAll(async () => {
    await library?.remove();
    delete process.env.JAILWRIGHT_REGISTRY;
    await cleanup?.();
  });

  it('a jail fresh from its build is not outdated', async () => {
    const { code, report } = await outdated();
    expect(outdatedPaths(report)).toEqual([]);
    expect(report.packageOwnersKnown).toBe(true);
    expect(code).toBe(0);
  });

  it('same soname, new bytes: outdated names the library, update copies the new one in', async () => {
    const file = await library.installLibrary(1, 11);
    const { code, report } = await outdated();
    expect(code).toBe(1);
    expect(outdatedPaths(report)).toContain(`changed ${file}`);
    // No Debian package owns a file in the test's prefix; the libc the program also uses is unchanged.
    expect(report.packages.find((group) => group.files.some((entry) => entry.path === file))?.package).toBeNull();
    expect((await runInJail()).stdout).toBe('jwup 1\n');

    const dryRun = await jailwright('update', root, '--dry-run', '--json');
    expect(dryRun.code).toBe(0);
    const planned = JSON.parse(dryRun.stdout) as UpdateReport;
    expect(planned.changes).toContainEqual({ path: file, change: 'changed', detail: 'new content' });
    expect((await runInJail()).stdout).toBe('jwup 1\n');

    const updated = await jailwright('update', root, '--json');
    expect(updated.stderr).toBe('');
    expect(updated.code).toBe(0);
    const report2 = JSON.parse(updated.stdout) as UpdateReport;
    expect(report2.generation).not.toBe(report2.previousGeneration);
    expect(report2.changes).toContainEqual({ path: file, change: 'changed', detail: 'new content' });
    expect((await runInJail()).stdout).toBe('jwup 11\n');
    expect(outdatedPaths((await outdated()).report)).toEqual([]);
  });

  it('a renamed soname (libjwup.so.1 -> .so.2, program relinked, .so.1 removed): outdated sees it, update repairs it', async () => {
    const file = await library.installLibrary(2, 2);
    await library.installProgram('jwup-prog', PROGRAM);
    await library.removeLibrary(1);
    const old = path.join(library.lib, 'libjwup.so.1.0');
    const { code, report } = await outdated();
    expect(code).toBe(1);
    expect(outdatedPaths(report)).toEqual(expect.arrayContaining([`changed ${program}`, `gone ${old}`]));
    // The old program in the jail still runs with the old library: the jail is consistent, only stale.
    expect((await runInJail()).stdout).toBe('jwup 11\n');

    const dryRun = JSON.parse((await jailwright('update', root, '--dry-run', '--json')).stdout) as UpdateReport;
    const summary = dryRun.changes.map((change) => `${change.change} ${change.path}`);
    expect(summary).toEqual(expect.arrayContaining([`added ${file}`, `added ${path.join(library.lib, 'libjwup.so.2')}`, `removed ${old}`, `removed ${path.join(library.lib, 'libjwup.so.1')}`, `changed ${program}`]));

    const updated = await jailwright('update', root);
    expect(updated.stderr).toBe('');
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain(`+ ${file}`);
    expect(updated.stdout).toContain(`- ${old}`);
    expect(await runInJail()).toMatchObject({ code: 0, stdout: 'jwup 2\n' });
    expect(outdatedPaths((await outdated()).report)).toEqual([]);
    const verified = await jailwright('verify', root);
    expect(verified.code).toBe(0);
  });

  it('update says so when nothing changed, and refuses what is not a jail and --restart without a service (exit 2)', async () => {
    const same = await jailwright('update', root);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('is up to date with the host');
    await mkdir(path.join(parent, 'plain'));
    const foreign = await jailwright('update', path.join(parent, 'plain'));
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('is not a jail built by jailwright');
    const noService = await jailwright('update', root, '--restart');
    expect(noService.code).toBe(2);
    expect(noService.stderr).toContain('has no launch section');
    expect(readlinkSync(root)).toMatch(/^\.jwup\.jailwright\/generation-\d{6}$/);
  });

  it('an update whose new generation the audit finds unsafe still swaps it in, and exits 1 saying why, as build does', async () => {
    const unsafeRecipe = await writeRecipe(parent, 'jwunsafe', 'specVersion: 1\nname: jwunsafe\njail:\n  files: [/usr/bin/id]\n');
    const unsafeRoot = path.join(parent, 'jwunsafe');
    expect((await jailwright('build', unsafeRecipe, '--root', unsafeRoot)).code).toBe(0);
    const before = readlinkSync(unsafeRoot);
    await writeFile(unsafeRecipe, 'specVersion: 1\nname: jwunsafe\njail:\n  files: [/usr/bin/id]\n  write:\n    - { path: /etc/ld.so.preload, content: "", mode: "0666" }\n');
    const updated = await jailwright('update', unsafeRoot, '--json');
    expect(updated.code).toBe(1);
    const report = JSON.parse(updated.stdout) as UpdateReport;
    expect(report.audit).toMatchObject({ passed: false, failOn: 'high' });
    expect(report.audit!.failing).toBeGreaterThan(0);
    expect(report.changes.map((change) => `${change.change} ${change.path}`)).toContain('added /etc/ld.so.preload');
    expect(readlinkSync(unsafeRoot)).not.toBe(before);
  });

  it('an update whose new generation misses a symbol exits 1 naming it, as build does; --allow-missing-symbols only warns', async () => {
    const directory = path.join(parent, 'jwsym');
    const library = path.join(directory, 'libjwsym.so.1');
    // Replaced by rename, as dpkg does: the update sees a new host file.
    const installLibrary = async (source: string) => {
      await compile(directory, 'libjwsym', source, `${library}.new`, ['-shared', '-fPIC', '-Wl,-soname,libjwsym.so.1']);
      await rename(`${library}.new`, library);
    };
    await installLibrary('int jwsym_old(void) { return 1; }\nint jwsym_new(void) { return 42; }\n');
    const symbolProgram = await compile(directory, 'jwsym-prog', 'int jwsym_new(void);\nint main(void) { return jwsym_new() == 42 ? 0 : 1; }\n', path.join(directory, 'jwsym-prog'), [library, `-Wl,-rpath,${directory}`]);
    const symbolRecipe = await writeRecipe(parent, 'jwsym', `specVersion: 1\nname: jwsym\njail:\n  files: [${symbolProgram}]\n`);
    const symbolRoot = path.join(parent, 'jwsym-jail');
    expect((await jailwright('build', symbolRecipe, '--root', symbolRoot)).code).toBe(0);

    // The host library goes back to a build without jwsym_new (a downgrade, or a host half-way through an upgrade).
    await installLibrary('int jwsym_old(void) { return 2; }\n');
    const json = await jailwright('update', symbolRoot, '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as UpdateReport;
    expect(report.generation).not.toBe(report.previousGeneration);
    expect(report.changes).toContainEqual({ path: library, change: 'changed', detail: 'new content' });
    expect(report.symbols?.missing).toEqual([expect.objectContaining({ symbol: 'jwsym_new', neededBy: [symbolProgram] })]);

    await installLibrary('int jwsym_old(void) { return 3; }\n');
    const text = await jailwright('update', symbolRoot);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`\nmissing symbol jwsym_new: needed by ${symbolProgram}; `);

    await installLibrary('int jwsym_old(void) { return 4; }\n');
    const allowed = await jailwright('update', symbolRoot, '--allow-missing-symbols');
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(`warning: missing symbol jwsym_new: needed by ${symbolProgram}; `);
  });
});
