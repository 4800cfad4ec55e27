import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJail, updateJail } from '../../src/index.js';
import { readCurrentGeneration } from '../../src/apply/current-generation.js';
import { explainSkipUnlessRoot, isRoot, makeJailParent, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('update keeping the variant and options a jail was built with');

const RECIPE = (data: string) => `specVersion: 1
name: jwselect
options:
  greeting: { default: "hello", description: The text of /srv/greeting. }
jail:
  files: [/usr/bin/true, ${data}]
  write:
    - { path: /srv/greeting, content: "{{greeting}}" }
variants:
  extra:
    description: One more program (a variant's section replaces the recipe's).
    jail:
      files: [/usr/bin/true, /usr/bin/false, ${data}]
      write:
        - { path: /srv/greeting, content: "{{greeting}}" }
`;

describe.skipIf(!isRoot)('update rebuilds a jail with the variant and options it was built with', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let data: string;
  let recipe: string;
  let root: string;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    data = path.join(parent, 'data.txt');
    await writeFile(data, 'one\n', { mode: 0o644 });
    recipe = await writeRecipe(parent, 'jwselect', RECIPE(data));
    root = path.join(parent, 'jwselect');
    await buildJail({ recipe, root, variant: 'extra', options: { greeting: 'bonjour' }, audit: false, symbols: false });
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('a dry run plans no change of its own, and the update keeps the variant\'s file and the option\'s value', async () => {
    const before = await readCurrentGeneration(root);
    expect(await readFile(path.join(before.directory, 'srv/greeting'), 'utf8')).toBe('bonjour');
    const planned = await updateJail(root, { dryRun: true });
    expect(planned.changes).toEqual([]);

    await writeFile(data, 'two\n');
    const report = await updateJail(root);
    expect(report.changes).toEqual([{ path: data, change: 'changed', detail: 'new content' }]);
    const after = await readCurrentGeneration(root);
    expect(after.generation).not.toBe(before.generation);
    expect(await readFile(path.join(after.directory, 'srv/greeting'), 'utf8')).toBe('bonjour');
    expect(after.manifest.entries.map((entry) => entry.path)).toContain('/usr/bin/false');
    expect(after.manifest.inputs.selection).toEqual({ variant: 'extra', options: { greeting: 'bonjour' } });
  });
});
