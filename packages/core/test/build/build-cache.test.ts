import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildJail } from '../../src/index.js';
import type { NormalizedRecipe } from '../../src/recipe/index.js';
import { readCurrentGeneration } from '../../src/apply/current-generation.js';
import { CLI, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the build cache (host file digests and symbol verdicts shared by the builds of one host)');

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');
const PLANTED = 'f'.repeat(64);

describe.skipIf(!isRoot)('the build cache: what one build learned about host files, used by the first build of another jail', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let hostFiles: { parent: string; cleanup: () => Promise<void> };
  let cache: string;
  let data: string;
  let recipe: string;
  let roots = 0;
  const build = async (options: { symbols?: boolean; cache?: boolean } = {}) => {
    const root = path.join(parent, `jail-${++roots}`);
    const outcome = await buildJail({ recipe, root, audit: false, symbols: options.symbols ?? false, cache: options.cache });
    return { outcome, generation: await readCurrentGeneration(root) };
  };
  const recordFile = () => path.join(cache, 'host-digests.json');
  const plantDigest = async () => {
    const record = JSON.parse(await readFile(recordFile(), 'utf8')) as { entries: Record<string, { sha256: string }> };
    record.entries[data]!.sha256 = PLANTED;
    await writeFile(recordFile(), JSON.stringify(record));
  };
  const dataDigest = (generation: Awaited<ReturnType<typeof readCurrentGeneration>>) => generation.manifest.entries.find((entry) => entry.path === data)?.sha256;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    hostFiles = await makeJailParent();
    data = path.join(hostFiles.parent, 'data.txt');
    await writeFile(data, 'the data a jail carries\n', { mode: 0o644 });
    recipe = await writeRecipe(parent, 'cached', `specVersion: 1\nname: cached\njail:\n  files: [/bin/true, ${data}]\n`);
  });
  beforeEach(async () => {
    cache = await mkdtemp(path.join(tmpdir(), 'jailwright-build-cache-'));
    process.env.JAILWRIGHT_BUILD_CACHE = cache;
  });
  afterEach(async () => {
    await rm(cache, { recursive: true, force: true });
    await writeFile(data, 'the data a jail carries\n');
  });
  const throwaway = process.env.JAILWRIGHT_BUILD_CACHE;
  afterAll(async () => {
    // Back to the run's throwaway cache (test/support's globalSetup), never to the host's.
    process.env.JAILWRIGHT_BUILD_CACHE = throwaway;
    await cleanup?.();
    await hostFiles?.cleanup();
  });

  it('records the digest of every host file a build copied, with its stamp', async () => {
    const { generation } = await build();
    const record = JSON.parse(await readFile(recordFile(), 'utf8')) as { entries: Record<string, { sha256: string; stamp: string }> };
    expect(record.entries[data]?.sha256).toBe(sha256('the data a jail carries\n'));
    expect(Object.keys(record.entries).sort()).toEqual(generation.manifest.entries.filter((entry) => entry.type === 'file').map((entry) => entry.source!.path).sort());
  });

  it('a first build into another root takes the digest of an unchanged host file from the record, not reading it again', async () => {
    await build();
    // Proven with a wrong digest planted in the record: a build that read the file would write the right one.
    await plantDigest();
    expect(dataDigest((await build()).generation)).toBe(PLANTED);
  });

  it('a host file changed since it was recorded is read and hashed again', async () => {
    await build();
    await plantDigest();
    await writeFile(data, 'the data, changed on the host\n');
    const { generation } = await build();
    expect(dataDigest(generation)).toBe(sha256('the data, changed on the host\n'));
    expect(await readFile(path.join(generation.directory, data), 'utf8')).toBe('the data, changed on the host\n');
  });

  it('a record others could write is never read, and a broken one is ignored and replaced', async () => {
    await build();
    await plantDigest();
    await chmod(cache, 0o777);
    expect(dataDigest((await build()).generation)).toBe(sha256('the data a jail carries\n'));
    await chmod(cache, 0o700);
    await writeFile(recordFile(), '{"format":1,"entries":{"/x":');
    expect(dataDigest((await build()).generation)).toBe(sha256('the data a jail carries\n'));
    expect(JSON.parse(await readFile(recordFile(), 'utf8')).entries[data].sha256).toBe(sha256('the data a jail carries\n'));
  });

  it('a cache below a directory others could write is not used at all', async () => {
    const open = path.join(cache, 'open');
    await mkdir(open, { mode: 0o777 });
    await chmod(open, 0o777);
    process.env.JAILWRIGHT_BUILD_CACHE = path.join(open, 'build-cache');
    try {
      const { generation } = await build({ symbols: true });
      expect(dataDigest(generation)).toBe(sha256('the data a jail carries\n'));
      expect(await readdir(path.join(open, 'build-cache')).catch(() => [])).toEqual([]);
    } finally {
      process.env.JAILWRIGHT_BUILD_CACHE = cache;
    }
  });

  it('a truncated or corrupt cache file is ignored, never fails a build, and is written anew', async () => {
    await build({ symbols: true });
    const [verdict] = await readdir(path.join(cache, 'symbols'));
    const [kept] = await readdir(path.join(cache, 'recipes'));
    await writeFile(path.join(cache, 'symbols', verdict!), '{"objects":');
    await writeFile(path.join(cache, 'recipes', kept!), Buffer.from([0xff, 0x0f, 0x6f, 0x22]));
    await writeFile(recordFile(), 'null');
    const { outcome, generation } = await build({ symbols: true });
    expect(outcome.symbols).toMatchObject({ missing: [], missingVersions: [] });
    expect(outcome.symbols!.objects).toBeGreaterThan(0);
    expect(dataDigest(generation)).toBe(sha256('the data a jail carries\n'));
    expect(JSON.parse(await readFile(path.join(cache, 'symbols', verdict!), 'utf8'))).toEqual({ objects: outcome.symbols!.objects });
    expect(deserialize(await readFile(path.join(cache, 'recipes', kept!)))).toMatchObject({ name: 'cached' });
    expect((await readdir(cache, { recursive: true })).filter((name) => String(name).endsWith('.tmp'))).toEqual([]);
  });

  it('a clean symbol check is kept by jail content and answers a first build of the same jail elsewhere', async () => {
    const first = await build({ symbols: true });
    expect(first.outcome.symbols).toMatchObject({ missing: [], missingVersions: [] });
    const verdicts = await readdir(path.join(cache, 'symbols'));
    expect(verdicts).toHaveLength(1);
    // Proven with a planted object count: a check that read the jail again would count its real objects.
    await writeFile(path.join(cache, 'symbols', verdicts[0]!), JSON.stringify({ objects: 4242 }));
    const second = await build({ symbols: true });
    expect(second.outcome.symbols).toMatchObject({ objects: 4242, missing: [], missingVersions: [] });
    // Other content (the data file changed) is another jail: read in full, and kept under its own digest.
    await writeFile(data, 'other data, another jail\n');
    const third = await build({ symbols: true });
    expect(third.outcome.symbols?.objects).toBe(first.outcome.symbols?.objects);
    expect(await readdir(path.join(cache, 'symbols'))).toHaveLength(2);
  });

  it('--no-cache reads and hashes every host file and runs the whole symbol check, and records the truth', async () => {
    const first = await build({ symbols: true });
    await plantDigest();
    const verdicts = await readdir(path.join(cache, 'symbols'));
    await writeFile(path.join(cache, 'symbols', verdicts[0]!), JSON.stringify({ objects: 4242 }));
    const root = path.join(parent, `jail-${++roots}`);
    const cli = await jailwright('build', recipe, '--root', root, '--no-audit', '--no-cache', '--json');
    expect(cli.code).toBe(0);
    const outcome = JSON.parse(cli.stdout) as { symbols: { objects: number } };
    expect(outcome.symbols.objects).toBe(first.outcome.symbols?.objects);
    expect(dataDigest(await readCurrentGeneration(root))).toBe(sha256('the data a jail carries\n'));
    expect(JSON.parse(await readFile(recordFile(), 'utf8')).entries[data].sha256).toBe(sha256('the data a jail carries\n'));
    // The engine's own switch, on a rebuild: not even the previous generation's digests are trusted.
    await plantDigest();
    const rebuilt = await buildJail({ recipe, root, force: true, audit: false, symbols: false, cache: false });
    expect(rebuilt.result?.changed).toBe(true);
    expect(dataDigest(await readCurrentGeneration(root))).toBe(sha256('the data a jail carries\n'));
  });

  it('a recipe validated before is taken from the cache; a changed one is validated afresh, and a broken one never kept', async () => {
    await build();
    const recipes = path.join(cache, 'recipes');
    const [kept, ...others] = await readdir(recipes);
    expect(others).toEqual([]);
    // Proven with a planted recipe: a build that parsed the file again would not write /etc/planted.
    const cachedRecipe = deserialize(await readFile(path.join(recipes, kept!))) as NormalizedRecipe;
    await writeFile(path.join(recipes, kept!), serialize({ ...cachedRecipe, jail: { ...cachedRecipe.jail, write: [{ path: '/etc/planted', content: 'from the cache', mode: 0o644, uid: 0, gid: 0 }] } }));
    const planted = (await build()).generation;
    expect(await readFile(path.join(planted.directory, 'etc/planted'), 'utf8')).toBe('from the cache');
    const validated = (await build({ cache: false })).generation;
    expect(validated.manifest.entries.map((entry) => entry.path)).not.toContain('/etc/planted');

    const text = await readFile(recipe, 'utf8');
    try {
      await writeFile(recipe, text.replace('files:', 'fils:'));
      await expect(build()).rejects.toThrow(/cached\.yaml:4:\d+.*fils/s);
      expect(await readdir(recipes)).toEqual([kept]);
    } finally {
      await writeFile(recipe, text);
    }

    // The point of it, seen by strace: the CLI building a recipe it has built before (the built CLI keys its
    // entries by its own build, so not by this test's) opens neither the YAML parser nor zod.
    expect((await jailwright('build', recipe, '--root', path.join(parent, `jail-${++roots}`), '--no-audit')).code).toBe(0);
    const traced = path.join(cache, 'opened.txt');
    const cli = await run('strace', ['-f', '-qq', '-e', 'trace=open,openat', '-o', traced, process.execPath, CLI, 'build', recipe, '--root', path.join(parent, `jail-${++roots}`), '--no-audit']);
    expect(cli.code).toBe(0);
    const opened = await readFile(traced, 'utf8');
    expect(opened).toMatch(/node_modules\/commander\//);
    expect(opened).not.toMatch(/node_modules\/(yaml|zod)\//);
  });

  it('a rebuild takes the cached verdict while the service data it carried over holds no object, and reads all once it does', async () => {
    const dataRecipe = await writeRecipe(
      parent,
      'cached-data',
      `specVersion: 1\nname: cached-data\njail:\n  files: [/bin/true]\n  users: [nobody]\n  directories: [{ path: /srv/data, owner: nobody, mode: "0755" }]\n`,
    );
    const root = path.join(parent, `jail-${++roots}`);
    const rebuild = () => buildJail({ recipe: dataRecipe, root, force: true, audit: false });
    const first = await rebuild();
    const [verdict] = await readdir(path.join(cache, 'symbols'));
    await writeFile(path.join(cache, 'symbols', verdict!), JSON.stringify({ objects: 4242 }));
    await writeFile(path.join(root, 'srv/data/service.log'), 'a line of the service\n');
    expect((await rebuild()).symbols?.objects).toBe(4242);
    await copyFile('/bin/true', path.join(root, 'srv/data/dropped'));
    const carried = await rebuild();
    expect(await readFile(path.join(root, 'srv/data/service.log'), 'utf8')).toBe('a line of the service\n');
    expect(carried.symbols?.objects).toBe(first.symbols!.objects + 1);
  });
});
