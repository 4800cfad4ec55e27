import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecipe, RecipeError } from '../../src/recipe/index.js';

const base = `specVersion: 1
name: web
options:
  port: { type: port, default: 8080, description: The port. }
  page: { default: hello, description: The page. }
jail:
  write: [{ path: /srv/index.html, content: "{{page}} on {{port}}" }]
variants:
  quiet:
    description: Quietly.
    jail: { write: [{ path: /srv/index.html, content: "quiet {{page}}" }] }
`;

describe('a recipe that extends another', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'jailwright-extends-'));
    await writeFile(path.join(directory, 'base.yaml'), base);
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    const file = path.join(directory, name);
    await writeFile(file, text);
    return file;
  }

  it("chooses the extended recipe's options and variant; the command line wins over it, a nearer recipe over a farther one", async () => {
    const mine = await write('mine.yaml', 'specVersion: 1\nextends: ./base.yaml\nwith: { port: 9090, page: mine }\n');
    const loaded = await loadRecipe(mine);
    expect(loaded.file).toBe(mine);
    expect(loaded.recipe.name).toBe('web');
    expect(loaded.recipe.jail.write[0]?.content).toBe('mine on 9090');
    expect((await loadRecipe(mine, { options: { port: '7070' } })).recipe.jail.write[0]?.content).toBe('mine on 7070');

    const quieter = await write('quieter.yaml', 'specVersion: 1\nextends: ./mine.yaml\nvariant: quiet\nwith: { page: nearer }\n');
    expect((await loadRecipe(quieter)).recipe.jail.write[0]?.content).toBe('quiet nearer');
  });

  it('refuses anything but a choice in it, at its line, and a loop of recipes extending one another', async () => {
    const extra = await write('extra.yaml', 'specVersion: 1\nextends: ./base.yaml\njail: { files: [/bin/sh] }\n');
    const error = await loadRecipe(extra).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RecipeError);
    expect((error as RecipeError).message).toBe(`${extra}:3:1: a recipe with extends: only chooses — it may hold specVersion, extends, variant and with, not jail`);

    const badOption = await write('bad-option.yaml', 'specVersion: 1\nextends: ./base.yaml\nwith: { prot: 1 }\n');
    await expect(loadRecipe(badOption)).rejects.toThrow('unknown option "prot" (did you mean "port"?)');
    const badPort = await write('bad-port.yaml', 'specVersion: 1\nextends: ./base.yaml\nwith: { port: [1] }\n');
    await expect(loadRecipe(badPort)).rejects.toThrow(`${badPort}:3:15: with.port: an option value is a string or a number`);

    const loopA = await write('loop-a.yaml', 'specVersion: 1\nextends: ./loop-b.yaml\n');
    const loop = await write('loop-b.yaml', 'specVersion: 1\nextends: ./loop-a.yaml\n');
    await expect(loadRecipe(loop)).rejects.toThrow(`${loopA}:2:10: extends: "./loop-b.yaml" leads back to ${loop}: these recipes extend one another in a loop (${loop} → ${loopA} → ${loop})`);
    const missing = await write('missing.yaml', 'specVersion: 1\n# the recipe it builds on\nextends: ./no-such.yaml\n');
    await expect(loadRecipe(missing)).rejects.toThrow(`${missing}:3:10: extends: recipe "./no-such.yaml" not found.`);
  });
});
