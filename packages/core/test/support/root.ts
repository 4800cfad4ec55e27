import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** True when the tests run as root; the tests that build real jails need it. */
export const isRoot = process.getuid?.() === 0;

/** Says, once per file, why root-only tests are skipped. */
export function explainSkipUnlessRoot(what: string): void {
  if (!isRoot) console.warn(`skipping ${what}: it needs root (chroot, chown, mknod); CI runs it as root`);
}

/** The built CLI, as a user runs it. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** The minimal recipe of the issue. */
export const DEMO_RECIPE = fileURLToPath(new URL('../fixtures/demo/recipe.yaml', import.meta.url));

const execFileAsync = promisify(execFile);

/** Runs a command and returns its exit code and output without throwing on failure. */
export async function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { env: options.env ?? process.env, timeout: options.timeout ?? 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** Runs the jailwright CLI. */
export function jailwright(...args: string[]) {
  return run(process.execPath, [CLI, ...args]);
}

/**
 * A scratch parent for jail roots: under /var/lib, root-owned 0755, so the engine's parent checks pass.
 * (The OS temp dir is world-writable, which the engine rightly refuses.)
 */
export async function makeJailParent(): Promise<{ parent: string; cleanup: () => Promise<void> }> {
  const parent = await mkdtemp('/var/lib/jailwright-test-');
  await import('node:fs/promises').then((fs) => fs.chmod(parent, 0o755));
  return { parent, cleanup: () => rm(parent, { recursive: true, force: true }) };
}

/** Writes a recipe file into `directory` and returns its path. */
export async function writeRecipe(directory: string, name: string, body: string): Promise<string> {
  const file = path.join(directory, `${name}.yaml`);
  await writeFile(file, body);
  return file;
}
