import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { runProbe, waitFor } from '../../src/check/index.js';
import { freeTcpPort } from '../../src/testing/helpers.js';

describe('tcp probe', () => {
  it('passes when the port accepts a connection', async () => {
    const server = net.createServer((socket) => socket.end());
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    try {
      const result = await runProbe({ type: 'tcp', port }, { root: '/' });
      expect(result).toMatchObject({ ok: true, probe: `tcp 127.0.0.1:${port}`, expected: `a TCP connection to 127.0.0.1:${port}`, actual: `connected to 127.0.0.1:${port}` });
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      server.close();
    }
  });

  it('fails a refused port with ECONNREFUSED in the message', async () => {
    const port = await freeTcpPort();
    const result = await runProbe({ type: 'tcp', port }, { root: '/' });
    expect(result).toMatchObject({ ok: false, actual: 'connection refused (ECONNREFUSED)' });
  });

  it('stops early when the caller aborts', async () => {
    const port = await freeTcpPort();
    const controller = new AbortController();
    controller.abort(new Error('launcher is stopping'));
    const result = await runProbe({ type: 'tcp', port }, { root: '/', signal: controller.signal });
    expect(result).toMatchObject({ ok: false, actual: 'launcher is stopping' });
  });
});

describe('waitFor', () => {
  it('retries until a server that starts late is up, counting attempts', async () => {
    const port = await freeTcpPort();
    const server = net.createServer((socket) => socket.end());
    const late = setTimeout(() => server.listen(port, '127.0.0.1'), 600);
    try {
      const result = await waitFor({ type: 'tcp', port }, { root: '/' }, { timeoutMs: 5_000, intervalMs: 100 });
      expect(result.ok).toBe(true);
      expect(result.attempts).toBeGreaterThan(1);
      expect(result.durationMs).toBeGreaterThanOrEqual(550);
    } finally {
      clearTimeout(late);
      server.close();
    }
  });

  it('gives up after its timeout with the last failure and how long it tried', async () => {
    const port = await freeTcpPort();
    const started = Date.now();
    const result = await waitFor({ type: 'tcp', port }, { root: '/' }, { timeoutMs: 500, intervalMs: 100 });
    expect(result.ok).toBe(false);
    expect(result.actual).toMatch(/^connection refused \(ECONNREFUSED\) \(after \d+ attempts in \d+ ms\)$/);
    expect(result.attempts).toBeGreaterThanOrEqual(3);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
