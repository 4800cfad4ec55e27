import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJail, compareWithManifest, updateJail, type Manifest } from '../../src/index.js';
import { explainSkipUnlessRoot, isRoot, makeJailParent, writeRecipe } from '../support/root.js';
import { readCurrentGeneration } from '../../src/apply/current-generation.js';
import { HostLibrary } from './host-library.js';

explainSkipUnlessRoot('a rebuild reusing the previous generation\'s hashes of unchanged host files (gcc, ld.so.conf.d, ldconfig)');

const PROGRAM = String.raw`
#include <stdio.h>
int jwreuse_version(void);
int main(void) { printf("jwreuse %d\n", jwreuse_version()); return 0; }
`;

/**
 * A manifest without what differs between any two builds of the same host state: its name, its time, and the
 * jail inodes' stamps. Input stamps are kept for the test's own files only: other work on this machine may run
 * ldconfig (a new /etc/ld.so.cache) between the two builds.
 */
function comparable(manifest: Manifest, owned: string) {
  const { generation: _generation, builtAt: _builtAt, entries, inputs, ...rest } = manifest;
  const paths = inputs.paths.map(([file, kind, stamp]) => [file, kind, file.startsWith(`${owned}/`) ? stamp : 'not compared']);
  return { ...rest, inputs: { ...inputs, paths }, entries: entries.map(({ jail: _jail, ...entry }) => entry) };
}

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

describe.skipIf(!isRoot)('a rebuild takes the hash of an unchanged host file from the previous manifest', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let hostFiles: { parent: string; cleanup: () => Promise<void> };
  let library: HostLibrary;
  let recipe: string;
  let root: string;
  let data: string;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    process.env.JAILWRIGHT_REGISTRY = path.join(parent, 'registry');
    // The host files live apart from the jails: a build renames the jail root in its parent, which the plan must not read.
    hostFiles = await makeJailParent();
    library = new HostLibrary(path.join(hostFiles.parent, 'prefix'), 'jwreuse');
    await library.register();
    await library.installLibrary(1, 1);
    const program = await library.installProgram('jwreuse-prog', PROGRAM);
    data = path.join(library.prefix, 'data.txt');
    await writeFile(data, 'version one of the data\n', { mode: 0o644 });
    recipe = await writeRecipe(parent, 'jwreuse', `specVersion: 1\nname: jwreuse\njail:\n  files: [${program}, ${data}]\n`);
    root = path.join(parent, 'jwreuse');
    await buildJail({ recipe, root, audit: false, symbols: false });
  });

  afterAll(async () => {
    await library?.remove();
    delete process.env.JAILWRIGHT_REGISTRY;
    await cleanup?.();
    await hostFiles?.cleanup();
  });

  it('update after a library change writes exactly the manifest a cold build of the same host writes', async () => {
    const changed = await library.installLibrary(1, 2);
    const report = await updateJail(root);
    expect(report.changes).toContainEqual({ path: changed, change: 'changed', detail: 'new content' });
    const updated = await readCurrentGeneration(root);
    expect(await compareWithManifest(updated.directory, updated.manifest)).toEqual([]);

    const coldRoot = path.join(parent, 'jwreuse-cold');
    await buildJail({ recipe, root: coldRoot, audit: false, symbols: false });
    const cold = await readCurrentGeneration(coldRoot);
    expect(comparable(updated.manifest, hostFiles.parent)).toEqual(comparable(cold.manifest, hostFiles.parent));
    expect(updated.manifest.entries.find((entry) => entry.path === changed)?.sha256).toBe(sha256(await readFile(changed)));
  });

  it('the hash of an unchanged host file is the previous manifest\'s, not read again', async () => {
    // Proven with a wrong hash planted in the previous manifest: a build that re-read the file would write the right one.
    const before = await readCurrentGeneration(root);
    const planted = '0'.repeat(64);
    const manifestFile = `${before.directory}.manifest.json`;
    const tampered = { ...before.manifest, entries: before.manifest.entries.map((entry) => (entry.path === data ? { ...entry, sha256: planted } : entry)) };
    await writeFile(manifestFile, JSON.stringify(tampered));
    await buildJail({ recipe, root, force: true, audit: false, symbols: false });
    const after = await readCurrentGeneration(root);
    expect(after.directory).not.toBe(before.directory);
    expect(after.manifest.entries.find((entry) => entry.path === data)?.sha256).toBe(planted);
    // Put the truth back, or every later build would carry the planted hash on.
    const truth = before.manifest.entries.find((entry) => entry.path === data)?.sha256;
    const restored = { ...after.manifest, entries: after.manifest.entries.map((entry) => (entry.path === data ? { ...entry, sha256: truth } : entry)) };
    await writeFile(`${after.directory}.manifest.json`, JSON.stringify(restored));
  });

  it('with --link hard, a rebuild links again and writes the entries a cold hard-linked build writes', async () => {
    const linkedRoot = path.join(parent, 'jwreuse-linked');
    await buildJail({ recipe, root: linkedRoot, link: 'hard', audit: false, symbols: false });
    await buildJail({ recipe, root: linkedRoot, link: 'hard', force: true, audit: false, symbols: false });
    const rebuilt = await readCurrentGeneration(linkedRoot);
    expect(rebuilt.manifest.entries.filter((entry) => entry.hardLinked).map((entry) => entry.path)).toContain(data);
    const coldRoot = path.join(parent, 'jwreuse-linked-cold');
    await buildJail({ recipe, root: coldRoot, link: 'hard', audit: false, symbols: false });
    // Entries only: every link moves the host files' ctime, so the input stamps differ between any two hard-linked builds.
    expect(comparable(rebuilt.manifest, hostFiles.parent).entries).toEqual(comparable((await readCurrentGeneration(coldRoot)).manifest, hostFiles.parent).entries);
    expect(await compareWithManifest(rebuilt.directory, rebuilt.manifest)).toEqual([]);
  });

  it('a host file rewritten in place with its size and mtime kept is read and hashed again (its ctime moved)', async () => {
    const before = await stat(data);
    execFileSync('touch', ['-r', data, `${data}.times`]);
    await writeFile(data, 'version two of the data\n');
    execFileSync('touch', ['-r', `${data}.times`, data]);
    const now = await stat(data);
    expect([now.size, now.mtimeMs, now.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    await buildJail({ recipe, root, force: true, audit: false, symbols: false });
    const after = await readCurrentGeneration(root);
    expect(after.manifest.entries.find((entry) => entry.path === data)?.sha256).toBe(sha256('version two of the data\n'));
    expect(await compareWithManifest(after.directory, after.manifest)).toEqual([]);
    expect(await readFile(path.join(after.directory, data), 'utf8')).toBe('version two of the data\n');
  });
});
