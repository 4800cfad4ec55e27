import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs a command and returns its exit code and output without throwing on failure. */
export async function run(file: string, args: readonly string[], options: { timeout?: number } = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { timeout: options.timeout ?? 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** Runs the package's own command, as a user who installed only @jailwright/apache would. */
export function jailwrightApache(...args: string[]) {
  return run(process.execPath, [BIN, ...args]);
}
