// Helpers for the probe tests: real server processes stopped by PID (free ports come from the kit's helpers).
import { spawn, type ChildProcess } from 'node:child_process';

/** A server process started by a test; `stop` kills exactly its PID and waits for it to exit. */
export interface RunningServer {
  pid: number;
  output: () => string;
  stop: () => Promise<void>;
}

export function startServer(command: string, args: string[]): RunningServer {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  return {
    pid,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True when `command` is on the PATH (or an absolute path that exists and runs). */
export async function haveCommand(command: string): Promise<boolean> {
  const { access, constants } = await import('node:fs/promises');
  const directories = command.includes('/') ? [''] : (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  for (const directory of directories) {
    const candidate = directory === '' ? command : `${directory}/${command}`;
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}
