import { spawn } from 'node:child_process';
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithManifest, readManifest } from '../../src/index.js';
import { CLI, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the kill -9 during build test');

/** Recipe B is slow enough to be killed part-way: it copies the whole zoneinfo tree (over a thousand files). */
const recipeBody = (marker: string, extra: string) => `specVersion: 1
name: interrupted
jail:
  include: [base]
  files: [/usr/bin/id${extra}]
  users: [nobody]
  write:
    - { path: /etc/marker, content: "${marker}" }
`;

/** The jail at `root` is exactly one generation, whole: it matches its own manifest path for path. */
async function assertWholeJail(root: string): Promise<string> {
  const target = await readlink(root);
  const state = path.dirname(path.join(path.dirname(root), target));
  const manifest = await readManifest(path.join(state, `${path.basename(target)}.manifest.json`));
  expect(manifest, `manifest of ${target}`).toBeDefined();
  expect(await compareWithManifest(await realpath(root), manifest!)).toEqual([]);
  return readFile(path.join(root, 'etc/marker'), 'utf8');
}

describe.skipIf(!isRoot)('kill -9 during a build leaves the old jail or the new one, never a mixture', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let recipeA: string;
  let recipeB: string;
  let root: string;
  let fullBuildMs: number;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    recipeA = await writeRecipe(parent, 'a', recipeBody('A', ''));
    recipeB = await writeRecipe(parent, 'b', recipeBody('B', ', /usr/share/zoneinfo'));
    root = path.join(parent, 'jail');
    // Time one complete build of B, so the kills below land across its whole length.
    const started = Date.now();
    expect((await jailwright('build', recipeB, '--root', root)).code).toBe(0);
    fullBuildMs = Date.now() - started;
  });
  afterAll(async () => cleanup?.());

  it('at many points of the build', async () => {
    const seen = new Set<string>();
    for (const fraction of [0.05, 0.15, 0.3, 0.45, 0.6, 0.75, 0.85, 0.95, 1.05]) {
      expect((await jailwright('build', recipeA, '--root', root)).code).toBe(0);
      expect(await assertWholeJail(root)).toBe('A');

      const child = spawn(process.execPath, [CLI, 'build', recipeB, '--root', root], { stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      await new Promise((resolve) => setTimeout(resolve, Math.round(fullBuildMs * fraction)));
      child.kill('SIGKILL');
      const signal = await exited;

      const marker = await assertWholeJail(root);
      expect(['A', 'B']).toContain(marker);
      seen.add(`${signal ?? 'exited'}:${marker}`);
    }
    console.log(`kill -9 outcomes (signal:jail after): ${[...seen].join(', ')}; full build ${fullBuildMs} ms`);
    // At least one kill must have interrupted a build (the old jail survived it).
    expect(seen.has('SIGKILL:A')).toBe(true);

    // The next build clears what the killed builds left behind and finishes the job.
    expect((await jailwright('build', recipeB, '--root', root)).code).toBe(0);
    expect(await assertWholeJail(root)).toBe('B');
    const state = await readdir(path.join(parent, '.jail.jailwright'));
    expect(state.filter((name) => name.startsWith('staging-') || name.endsWith('.tmp'))).toEqual([]);
    expect(state.filter((name) => name.startsWith('generation-'))).toHaveLength(2);
  });
});
