// Helpers for the probe tests: free loopback ports and real server processes stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';

/** A loopback port free for both TCP and UDP right now. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const server = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
    const udp = dgram.createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => server.close(resolve));
    if (udpFree) return port;
  }
  throw new Error('no free loopback port for TCP and UDP after 20 tries');
}

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
