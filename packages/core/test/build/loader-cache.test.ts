import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the ld.so.conf library test');

const DROP_IN = `/etc/ld.so.conf.d/jailwright-test-${process.pid}.conf`;

describe.skipIf(!isRoot)('a library the host finds only through ld.so.conf', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let libraryDirectory: string;
  let program: string;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    // A program and its library in a directory only an ld.so.conf drop-in names, like /usr/local/lib.
    libraryDirectory = path.join(parent, 'opt/lib');
    await mkdir(libraryDirectory, { recursive: true });
    await writeFile(path.join(parent, 'greet.c'), 'const char *greeting(void) { return "hello from a jailed library"; }\n');
    await writeFile(path.join(parent, 'main.c'), '#include <stdio.h>\nconst char *greeting(void);\nint main(void) { puts(greeting()); return 0; }\n');
    const library = path.join(libraryDirectory, 'libjwgreet.so.1');
    expect((await run('gcc', ['-shared', '-fPIC', '-Wl,-soname,libjwgreet.so.1', '-o', library, path.join(parent, 'greet.c')])).code).toBe(0);
    program = path.join(parent, 'opt/greet');
    expect((await run('gcc', ['-o', program, path.join(parent, 'main.c'), library])).code).toBe(0);
    await writeFile(DROP_IN, `${libraryDirectory}\n`);
    expect((await run('ldconfig', [])).code).toBe(0);
  });
  afterAll(async () => {
    await rm(DROP_IN, { force: true });
    await run('ldconfig', []);
    await cleanup?.();
  });

  it('brings the host ld.so.cache along, so the jailed program finds it', async () => {
    const recipe = await writeRecipe(parent, 'greet', `specVersion: 1\nname: greet\njail:\n  files: [${program}]\n`);
    const root = path.join(parent, 'greet');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.code).toBe(0);
    expect((await lstat(path.join(root, 'etc/ld.so.cache'))).isFile()).toBe(true);
    const result = await run('chroot', [root, program]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('hello from a jailed library');
  });
});
