import net from 'node:net';
import type { TcpProbe } from '../recipe/probe-schema.js';
import { describeFailure, hostPort } from './deadline.js';
import type { ProbeOutcome } from './probe-result.js';

/** Opens a TCP connection; rejects with the socket error, or the signal's reason when it aborts first. */
export function connectTcp(host: string, port: number, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const socket = net.connect({ host, port });
    const onAbort = () => {
      socket.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (error: Error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
  });
}

/** A TCP connection to host:port succeeds. */
export async function checkTcp(probe: TcpProbe, signal: AbortSignal): Promise<ProbeOutcome> {
  const target = hostPort(probe.host, probe.port);
  const expected = `a TCP connection to ${target}`;
  try {
    const socket = await connectTcp(probe.host, probe.port, signal);
    socket.destroy();
    return { ok: true, expected, actual: `connected to ${target}` };
  } catch (error) {
    return { ok: false, expected, actual: describeFailure(error) };
  }
}
