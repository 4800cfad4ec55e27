import { chmod, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { privateDirectory, pruneCacheDirectory, readCacheFile, writeCacheFile } from '../../src/cache-directory.js';

describe('build cache files', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'jailwright-cache-files-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps a directory of entries to its limit, removing the least recently written first', async () => {
    for (let index = 0; index < 12; index++) {
      const file = path.join(directory, `entry-${String(index).padStart(2, '0')}.json`);
      await writeFile(file, '{}');
      const when = new Date(Date.UTC(2026, 0, 1 + index));
      await utimes(file, when, when);
    }
    await pruneCacheDirectory(directory, 12);
    expect(await readdir(directory)).toHaveLength(12);
    await writeFile(path.join(directory, 'entry-12.json'), '{}');
    await pruneCacheDirectory(directory, 12);
    // Past the limit it frees a fifth of the room: 13 entries become 9 (0.8 × 12, rounded down), the newest.
    expect((await readdir(directory)).sort()).toEqual(['entry-04.json', 'entry-05.json', 'entry-06.json', 'entry-07.json', 'entry-08.json', 'entry-09.json', 'entry-10.json', 'entry-11.json', 'entry-12.json']);
  });

  it('writes a file whole and leaves no temporary behind; reads a missing or unparsable one as nothing', async () => {
    const file = path.join(directory, 'entry.json');
    await Promise.all(Array.from({ length: 8 }, (_, index) => writeCacheFile(file, JSON.stringify({ index }))));
    expect(await readdir(directory)).toEqual(['entry.json']);
    expect(await readCacheFile(file, (bytes) => JSON.parse(bytes.toString('utf8')) as { index: number })).toHaveProperty('index');
    await writeFile(file, '{"index":');
    expect(await readCacheFile(file, (bytes) => JSON.parse(bytes.toString('utf8')))).toBeUndefined();
    expect(await readCacheFile(path.join(directory, 'missing.json'), (bytes) => bytes)).toBeUndefined();
  });

  it('refuses a cache directory below one that others can write, creating nothing there', async () => {
    const open = path.join(directory, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    expect(await privateDirectory(path.join(open, 'cache'))).toBeUndefined();
    expect(await readdir(open)).toEqual([]);
    expect(await privateDirectory(path.join(directory, 'private/cache'))).toBe(path.join(directory, 'private/cache'));
  });
});
