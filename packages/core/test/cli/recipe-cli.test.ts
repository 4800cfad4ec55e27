import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/testing/index.js';

const RECIPE_CLI = fileURLToPath(new URL('../../dist/recipe-cli.js', import.meta.url));
const DEMO_RECIPE = fileURLToPath(new URL('../fixtures/demo/recipe.yaml', import.meta.url));

/** Runs a recipe package's command line (as a package's dist/cli.js does) with the demo recipe. */
async function recipeCommand(...args: string[]) {
  const directory = mkdtempSync(path.join(tmpdir(), 'jailwright-recipe-cli-'));
  try {
    const script = path.join(directory, 'cli.mjs');
    writeFileSync(
      script,
      `import { runRecipeCli } from ${JSON.stringify(RECIPE_CLI)};\n` +
        `process.exitCode = await runRecipeCli({ name: 'demo', bin: 'jailwright-demo', file: ${JSON.stringify(DEMO_RECIPE)}, summary: 'the demo' }, ${JSON.stringify(args)});\n`,
    );
    return await runCommand(process.execPath, [script]);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe("a recipe package's command line", () => {
  it('passes the root commands verify, outdated and update to core with the jail root, and lists them', async () => {
    const help = await recipeCommand('--help');
    expect(help.stdout).toMatch(/verify \| outdated \[--root DIR\]/);
    expect(help.stdout).toMatch(/update \[--root DIR\]/);
    for (const command of ['verify', 'outdated', 'update']) {
      const result = await recipeCommand(command, '--root', '/nonexistent/jailwright-recipe-cli');
      expect(result.stderr, command).not.toContain('unknown command');
      // Core answered about the root it was given: it is no jailwright jail (exit 2).
      expect(result.stderr, command).toContain('/nonexistent/jailwright-recipe-cli');
      expect(result.code, command).toBe(2);
    }
  });
});
