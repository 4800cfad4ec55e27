import { copyFile, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMissingSymbols } from '../../src/index.js';
import { run } from '../support/root.js';
import { compile, haveGcc } from './support.js';

if (!haveGcc) console.warn('skipping the symbol-version proofs: gcc is not installed');

// A library whose newer build adds a version node (JWVER_2) and a program linked against that build.
const OLD = 'int jw_base(void) { return 1; }\n';
const NEW = 'int jw_base(void) { return 1; }\nint jw_added(void) { return 2; }\n';
const NEW_MAP = 'JWVER_1 { global: jw_base; local: *; };\nJWVER_2 { global: jw_added; } JWVER_1;\n';
const OLD_MAP = 'JWVER_1 { global: jw_base; local: *; };\n';
const PROGRAM = '#include <stdio.h>\nint jw_base(void);\nint jw_added(void);\nint main(void) { printf("%d\\n", jw_base() + jw_added()); return 0; }\n';

describe.skipIf(!haveGcc)('the nm loop over a tree: symbol versions', () => {
  let work: string;
  let tree: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'jailwright-versions-'));
    tree = path.join(work, 'tree');
    await mkdir(path.join(tree, 'lib'), { recursive: true });
    await mkdir(path.join(tree, 'bin'), { recursive: true });
    const build = path.join(work, 'build');
    await mkdir(build, { recursive: true });
    await writeFile(path.join(build, 'new.map'), NEW_MAP);
    await writeFile(path.join(build, 'old.map'), OLD_MAP);
    const newer = await compile(build, 'new', NEW, path.join(build, 'libjwver.so.1'), ['-shared', '-fPIC', '-Wl,-soname,libjwver.so.1', `-Wl,--version-script=${path.join(build, 'new.map')}`]);
    await compile(build, 'old', OLD, path.join(tree, 'lib/libjwver.so.1'), ['-shared', '-fPIC', '-Wl,-soname,libjwver.so.1', `-Wl,--version-script=${path.join(build, 'old.map')}`]);
    await compile(build, 'program', PROGRAM, path.join(tree, 'bin/jwver'), [newer]);
    await copyFile(newer, path.join(build, 'keep.so'));
    // The C library the program needs, at its host paths (ldd names them), so only libjwver can fall short.
    const ldd = await run('ldd', [path.join(tree, 'bin/jwver')], { env: { ...process.env, LD_LIBRARY_PATH: build } });
    for (const [, library] of ldd.stdout.matchAll(/(\/\S+) \(0x/g)) {
      if (!library || library.includes('libjwver')) continue;
      await mkdir(path.join(tree, path.dirname(library)), { recursive: true });
      await copyFile(await realpath(library), path.join(tree, library));
    }
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('names the version an older library build lacks, who needs it and which object in the tree has that soname', async () => {
    const report = await findMissingSymbols(tree, { noProviders: true });
    expect(report.missingVersions).toEqual([{ version: 'JWVER_2', file: 'libjwver.so.1', neededBy: ['/bin/jwver'], inJail: '/lib/libjwver.so.1' }]);
    expect(report.missing.map((entry) => `${entry.symbol}@${entry.version}`)).toEqual(['jw_added@JWVER_2']);
    expect(report.missing[0]?.neededBy).toEqual(['/bin/jwver']);
  });

  it('finds nothing missing once the tree holds the newer build', async () => {
    await copyFile(path.join(work, 'build/keep.so'), path.join(tree, 'lib/libjwver.so.1'));
    const report = await findMissingSymbols(tree, { noProviders: true });
    expect(report).toMatchObject({ missing: [], missingVersions: [] });
    expect(report.objects).toBeGreaterThanOrEqual(4);
  });
});
