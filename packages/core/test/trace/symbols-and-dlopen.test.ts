import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, writeRecipe } from '../support/root.js';
import { compile, haveGcc } from './support.js';

explainSkipUnlessRoot('the symbols and dlopen proofs');
if (isRoot && !haveGcc) console.warn('skipping the symbols and dlopen proofs: gcc is not installed');

const LIBRARY_V1 = 'int jw_old(void) { return 1; }\n';
const LIBRARY_V2 = 'int jw_old(void) { return 1; }\nint jw_new(void) { return 42; }\n';
const PROGRAM = '#include <stdio.h>\nint jw_new(void);\nint main(void) { printf("%d\\n", jw_new()); return 0; }\n';
const DLOPEN = `#include <dlfcn.h>
#include <stdio.h>
int main(void) {
  void *zlib = dlopen("libz.so.1", RTLD_NOW);
  if (!zlib) { fprintf(stderr, "dlopen: %s\\n", dlerror()); return 1; }
  const char *(*version)(void) = (const char *(*)(void))dlsym(zlib, "zlibVersion");
  printf("zlib %s\\n", version());
  return 0;
}
`;

describe.skipIf(!isRoot || !haveGcc)('symbols and dlopen, with programs built by gcc here', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('symbols names the symbol an older library build lacks and the host library that defines it', async () => {
    const build = path.join(parent, 'src');
    const newer = path.join(parent, 'lib-new');
    await mkdir(newer, { recursive: true });
    await compile(build, 'v2', LIBRARY_V2, path.join(newer, 'libjwdemo.so.1'), ['-shared', '-fPIC', '-Wl,-soname,libjwdemo.so.1']);
    await compile(build, 'v1', LIBRARY_V1, path.join(build, 'libjwdemo.so.1'), ['-shared', '-fPIC', '-Wl,-soname,libjwdemo.so.1']);
    const program = await compile(build, 'program', PROGRAM, path.join(parent, 'jw-symbols-demo'), [path.join(newer, 'libjwdemo.so.1'), `-Wl,-rpath,${newer}`]);
    const recipe = await writeRecipe(parent, 'symbols', `specVersion: 1\nname: symbols-demo\njail:\n  include: [base]\n  files: [${program}]\n`);
    const root = path.join(parent, 'symbols');
    expect((await jailwright('build', recipe, '--root', root, '--no-audit')).code).toBe(0);
    expect((await jailwright('symbols', root)).code).toBe(0);

    // The jail's copy is replaced by the older build, as a stale jail would hold it.
    const jailCopy = path.join(root, newer, 'libjwdemo.so.1');
    await copyFile(path.join(build, 'libjwdemo.so.1'), jailCopy);
    const found = await jailwright('symbols', root, '--search', newer, '--json');
    expect(found.code).toBe(1);
    const report = JSON.parse(found.stdout) as { missing: { symbol: string; neededBy: string[]; providers: string[] }[] };
    expect(report.missing).toHaveLength(1);
    expect(report.missing[0]).toMatchObject({ symbol: 'jw_new', neededBy: [program], providers: [path.join(newer, 'libjwdemo.so.1')] });
    const text = await jailwright('symbols', root, '--search', newer);
    expect(text.stdout).toContain(`missing symbol jw_new: needed by ${program}; defined on the host by ${path.join(newer, 'libjwdemo.so.1')}`);

    // A host caught half-way through an upgrade (the program newer than its library): build says so and fails.
    const hostLibrary = path.join(newer, 'libjwdemo.so.1');
    await copyFile(hostLibrary, path.join(build, 'libjwdemo.so.1.v2'));
    await copyFile(path.join(build, 'libjwdemo.so.1'), hostLibrary);
    try {
      const broken = await jailwright('build', recipe, '--root', path.join(parent, 'half-upgraded'), '--no-audit');
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain(`missing symbol jw_new: needed by ${program}`);
      const warned = await jailwright('build', recipe, '--root', path.join(parent, 'half-upgraded-2'), '--no-audit', '--allow-missing-symbols');
      expect(warned.code).toBe(0);
      expect(warned.stdout).toContain('warning: missing symbol jw_new');
    } finally {
      await copyFile(path.join(build, 'libjwdemo.so.1.v2'), hostLibrary);
    }
  });

  it('trace finds a library opened with dlopen by name; learn adds it and the program then runs in its jail', async () => {
    const program = await compile(path.join(parent, 'src'), 'dlopen', DLOPEN, path.join(parent, 'jw-dlopen-demo'), ['-ldl']);
    const traced = await jailwright('trace', '--json', '--', program);
    expect(traced.code).toBe(0);
    const report = JSON.parse(traced.stdout) as { libraries: { path: string; via: string; soname?: string }[] };
    expect(report.libraries).toContainEqual(expect.objectContaining({ via: 'dlopen', soname: 'libz.so.1' }));

    const recipe = await writeRecipe(
      parent,
      'dlopen',
      `# the program only: learn finds what it dlopens\nspecVersion: 1\nname: dlopen-demo\njail:\n  include: [base]\n  files: [${program}]\nlaunch: { mode: engine-chroot, command: [${program}], user: nobody }\nsyslog: { method: none }\n`,
    );
    const root = path.join(parent, 'dlopen');
    const learned = await jailwright('learn', recipe, '--root', root, '--write');
    expect(learned.stderr).toBe('');
    expect(learned.stdout).toMatch(/run 1: service exited \(code 1\); \d+ to add/);
    expect(learned.stdout).toContain('+ library libz.so.1: ENOENT');
    expect(learned.stdout).toMatch(/learned in 2 runs/);
    expect(learned.code).toBe(0);
    const text = await readFile(recipe, 'utf8');
    expect(text).toContain('# the program only: learn finds what it dlopens\n');
    expect(text).toMatch(/libraries:\n\s+- libz\.so\.1 # learned: ENOENT openat \/\S+\/libz\.so\.1/);
    expect(existsSync(path.join(root, 'lib/x86_64-linux-gnu/libz.so.1')) || existsSync(path.join(root, 'usr/lib/x86_64-linux-gnu/libz.so.1'))).toBe(true);
  });
});
