import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProbeResult, runProbe, runProbes, waitFor } from '../../src/check/index.js';
import { freeTcpPort } from '../../src/testing/helpers.js';
import { haveCommand, startServer, type RunningServer } from './servers.js';

const MODULES = '/usr/lib/apache2/modules';
const hasApache = await haveCommand('apache2');
if (!hasApache) console.warn('skipping the http probe tests against Apache: `apache2` is not installed (apt-get install -y apache2; CI installs it)');

describe.skipIf(!hasApache)('http and log probes against a real Apache httpd', () => {
  let directory: string;
  let port: number;
  let apache: RunningServer;
  // The log probe reads files "inside the jail": here the server's own directory plays the jail root.
  const context = () => ({ root: directory });

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'jailwright-apache-'));
    // Apache started as root serves as User nobody, which must be able to read the documents.
    await chmod(directory, 0o755);
    await mkdir(path.join(directory, 'htdocs'), { mode: 0o755 });
    await writeFile(path.join(directory, 'htdocs/index.html'), '<h1>jailwright probe test</h1>\n', { mode: 0o644 });
    port = await freeTcpPort();
    await writeFile(
      path.join(directory, 'httpd.conf'),
      `ServerRoot "${directory}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule dir_module ${MODULES}/mod_dir.so
LoadModule mime_module ${MODULES}/mod_mime.so
User nobody
Group nogroup
PidFile ${directory}/httpd.pid
DefaultRuntimeDir ${directory}
ErrorLog ${directory}/error.log
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog ${directory}/access.log common
DocumentRoot "${directory}/htdocs"
<Directory "${directory}/htdocs">
  Require all granted
</Directory>
DirectoryIndex index.html
TypesConfig /etc/mime.types
`,
    );
    // -X: one process in the foreground, so the PID we started is the server and stopping it is exact.
    apache = startServer('apache2', ['-X', '-f', path.join(directory, 'httpd.conf')]);
    const ready = await waitFor({ type: 'tcp', port, timeoutMs: 500 }, context(), { timeoutMs: 15_000, intervalMs: 100 });
    if (!ready.ok) throw new Error(`apache2 did not listen: ${ready.actual}\n${apache.output()}`);
  });

  afterAll(async () => {
    await apache?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('passes HEAD / with 200 OK', async () => {
    expect(apache.pid).toBeGreaterThan(0);
    const result = await runProbe({ type: 'http', port }, context());
    expect(result).toMatchObject({ ok: true, probe: `http 127.0.0.1:${port} HEAD /`, expected: `HTTP 200 from 127.0.0.1:${port} HEAD /`, actual: '200 OK' });
    expect(formatProbeResult(result)).toMatch(new RegExp(`^ok   http 127\\.0\\.0\\.1:${port} HEAD /: 200 OK \\(\\d+ ms\\)$`));
  });

  it('fails a missing page and reports the status that came back', async () => {
    const result = await runProbe({ type: 'http', port, path: '/missing.html' }, context());
    expect(result).toMatchObject({ ok: false, expected: `HTTP 200 from 127.0.0.1:${port} HEAD /missing.html`, actual: '404 Not Found' });
    expect(formatProbeResult(result)).toContain(`expected HTTP 200 from 127.0.0.1:${port} HEAD /missing.html, got 404 Not Found`);
    expect((await runProbe({ type: 'http', port, path: '/missing.html', expectStatus: 404 }, context())).ok).toBe(true);
  });

  it('runs several probes and returns every result in order, failures included', async () => {
    const results = await runProbes([{ type: 'http', port, path: '/nothing-here' }, { type: 'tcp', port }, { type: 'http', port }], context());
    expect(results.map((result) => [result.ok, result.actual])).toEqual([
      [false, '404 Not Found'],
      [true, `connected to 127.0.0.1:${port}`],
      [true, '200 OK'],
    ]);
  });

  it('checks the body of a GET', async () => {
    const good = await runProbe({ type: 'http', port, method: 'GET', expectBody: 'jailwright probe test' }, context());
    expect(good.ok).toBe(true);
    const bad = await runProbe({ type: 'http', port, method: 'GET', expectBody: 'It works' }, context());
    expect(bad).toMatchObject({ ok: false, actual: '200 OK with body "<h1>jailwright probe test</h1>\\n"' });
  });

  it('finds the request in the access log (the article\'s last check)', async () => {
    const marker = `/from-log-probe-${Date.now()}`;
    // Start watching first: with sinceStart, lines already in the file when the probe starts do not count.
    const watching = runProbe({ type: 'log', file: '/access.log', pattern: `"HEAD ${marker} HTTP/1\\.1" 404`, sinceStart: true }, context());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [http, log] = await Promise.all([runProbe({ type: 'http', port, path: marker, expectStatus: 404 }, context()), watching]);
    expect(http?.ok).toBe(true);
    expect(log, log?.actual).toMatchObject({ ok: true });
    expect(log?.actual).toContain(`"HEAD ${marker} HTTP/1.1" 404`);
  });
});

describe('http probe failures without Apache', () => {
  it('says connection refused when nothing listens', async () => {
    const port = await freeTcpPort();
    const result = await runProbe({ type: 'http', port }, { root: '/' });
    expect(result).toMatchObject({ ok: false, expected: `HTTP 200 from 127.0.0.1:${port} HEAD /`, actual: 'connection refused (ECONNREFUSED)' });
  });

  it('times out against a server that accepts and never answers', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => sockets.add(socket));
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    try {
      const result = await runProbe({ type: 'http', port, timeoutMs: 300 }, { root: '/' });
      expect(result).toMatchObject({ ok: false, actual: 'no answer within 300 ms' });
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('rejects an invalid probe with the reason', async () => {
    expect(() => runProbe({ type: 'http', port: 80, expectBody: 'x' }, { root: '/' })).toThrow(/expectBody needs method: GET/);
  });
});
