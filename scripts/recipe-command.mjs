// Runs a recipe package's command (node dist/cli.js …) as a user would, for tests: the exit code and the
// output, never a throw.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs `node <bin> ...args` with extra environment; resolves to { code, stdout, stderr }. */
export async function runRecipeCommand(bin, args, { env = {}, timeoutMs = 60_000 } = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: typeof error.code === 'number' ? error.code : -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' };
  }
}
