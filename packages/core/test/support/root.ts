import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JAILWRIGHT_CLI, commandRunner, runCommand as run } from '../../src/testing/index.js';

/** True when the tests run as root; the tests that build real jails need it. */
export const isRoot = process.getuid?.() === 0;

/** Says, once per file, why root-only tests are skipped. */
export function explainSkipUnlessRoot(what: string): void {
  if (!isRoot) console.warn(`skipping ${what}: it needs root (chroot, chown, mknod); CI runs it as root`);
}

/** The built CLI, as a user runs it. */
export const CLI = JAILWRIGHT_CLI;

/** The minimal recipe of the issue. */
export const DEMO_RECIPE = fileURLToPath(new URL('../fixtures/demo/recipe.yaml', import.meta.url));

/** Runs a command and returns its exit code and output without throwing on failure. */
export { run };

/** Runs the jailwright CLI. */
export const jailwright = commandRunner(CLI);

export { makeJailParent } from '../../src/testing/index.js';

/** Writes a recipe file into `directory` and returns its path. */
export async function writeRecipe(directory: string, name: string, body: string): Promise<string> {
  const file = path.join(directory, `${name}.yaml`);
  await writeFile(file, body);
  return file;
}
