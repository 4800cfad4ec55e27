import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe, waitFor } from '../../src/check/index.js';
import { freeTcpUdpPort } from '../../src/testing/helpers.js';
import { haveCommand, startServer, type RunningServer } from './servers.js';

const ZONE = `$TTL 300
@     IN SOA   ns1.example.test. hostmaster.example.test. ( 2024010101 3600 600 86400 300 )
      IN NS    ns1.example.test.
      IN MX    10 mail.example.test.
      IN TXT   "v=spf1 -all"
ns1   IN A     127.0.0.1
www   IN A     192.0.2.1
www   IN AAAA  2001:db8::1
mail  IN A     192.0.2.25
alias IN CNAME www.example.test.
`;

const hasNamed = await haveCommand('named');
if (!hasNamed) console.warn('skipping the dns probe tests against BIND: `named` is not installed (apt-get install -y bind9; CI installs it from scripts/debian-packages.txt)');

describe.skipIf(!hasNamed)('dns probe against a real BIND named', () => {
  let directory: string;
  let port: number;
  let named: RunningServer;
  const context = { root: '/' };

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'jailwright-named-'));
    port = await freeTcpUdpPort();
    await writeFile(path.join(directory, 'example.test.zone'), ZONE);
    // `controls { }` keeps named off the rndc port 953; no `-u`, so it stays in the foreground as the test's own user.
    await writeFile(
      path.join(directory, 'named.conf'),
      `options {
  directory "${directory}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file "${directory}/named.pid";
  session-keyfile "${directory}/session.key";
  recursion no;
  dnssec-validation no;
};
controls { };
zone "example.test" { type primary; file "${directory}/example.test.zone"; };
`,
    );
    named = startServer('named', ['-g', '-c', path.join(directory, 'named.conf')]);
    const ready = await waitFor({ type: 'dns', port, name: 'example.test', recordType: 'SOA', timeoutMs: 1_000 }, context, { timeoutMs: 20_000 });
    if (!ready.ok) throw new Error(`named did not answer: ${ready.actual}\n${named.output()}`);
  });

  afterAll(async () => {
    await named?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('passes for the authoritative A record the zone holds', async () => {
    const result = await runProbe({ type: 'dns', port, name: 'www.example.test', expect: '192.0.2.1', authoritative: true }, context);
    expect(result).toMatchObject({
      ok: true,
      probe: `dns A www.example.test @127.0.0.1:${port}`,
      expected: `A 192.0.2.1 for www.example.test from 127.0.0.1:${port} (authoritative)`,
      actual: 'A 192.0.2.1 (authoritative)',
    });
  });

  it('fails a wrong expectation and shows what the server answered', async () => {
    const result = await runProbe({ type: 'dns', port, name: 'www.example.test', expect: '192.0.2.99' }, context);
    expect(result.ok).toBe(false);
    expect(result.expected).toBe(`A 192.0.2.99 for www.example.test from 127.0.0.1:${port}`);
    expect(result.actual).toBe('A 192.0.2.1 (authoritative)');
  });

  it('fails a missing name with NXDOMAIN', async () => {
    const result = await runProbe({ type: 'dns', port, name: 'nope.example.test', expect: '192.0.2.1' }, context);
    expect(result).toMatchObject({ ok: false, actual: 'NXDOMAIN (authoritative)' });
  });

  it('fails an existing name without the asked type (NODATA), and a zone the server does not serve (REFUSED)', async () => {
    const nodata = await runProbe({ type: 'dns', port, name: 'mail.example.test', recordType: 'AAAA' }, context);
    expect(nodata).toMatchObject({ ok: false, actual: 'NOERROR with no AAAA record (authoritative)' });
    const refused = await runProbe({ type: 'dns', port, name: 'www.elsewhere.test' }, context);
    expect(refused).toMatchObject({ ok: false });
    expect(refused.actual).toMatch(/^REFUSED/);
  });

  it('reads AAAA, MX, NS, TXT, SOA and CNAME answers from BIND', async () => {
    const cases = [
      { recordType: 'AAAA', name: 'www.example.test', expect: '2001:DB8:0::1' },
      { recordType: 'MX', name: 'example.test', expect: '10 mail.example.test.' },
      { recordType: 'NS', name: 'example.test', expect: 'ns1.example.test' },
      { recordType: 'TXT', name: 'example.test', expect: 'v=spf1 -all' },
      { recordType: 'SOA', name: 'example.test', expect: 'ns1.example.test. hostmaster.example.test. 2024010101 3600 600 86400 300' },
      { recordType: 'CNAME', name: 'alias.example.test', expect: 'www.example.test' },
    ] as const;
    for (const probe of cases) {
      const result = await runProbe({ type: 'dns', port, authoritative: true, ...probe }, context);
      expect(result.ok, `${probe.recordType}: ${result.actual}`).toBe(true);
    }
  });

  it('fails authoritative: false against an authoritative server', async () => {
    const result = await runProbe({ type: 'dns', port, name: 'www.example.test', authoritative: false }, context);
    expect(result).toMatchObject({ ok: false, expected: `an A record for www.example.test from 127.0.0.1:${port} (not authoritative)`, actual: 'A 192.0.2.1 (authoritative)' });
  });
});

describe('dns probe without a server', () => {
  it('says connection refused when nothing listens on the UDP port', async () => {
    const port = await freeTcpUdpPort();
    const result = await runProbe({ type: 'dns', port, name: 'www.example.test' }, { root: '/' });
    expect(result.ok).toBe(false);
    expect(result.actual).toBe('connection refused (ECONNREFUSED)');
  });

  it('times out against a server that never answers', async () => {
    const silent = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve) => silent.bind(0, '127.0.0.1', () => resolve(silent.address().port)));
    let queries = 0;
    silent.on('message', () => queries++);
    try {
      const result = await runProbe({ type: 'dns', port, name: 'www.example.test', timeoutMs: 1_300 }, { root: '/' });
      expect(result).toMatchObject({ ok: false, actual: 'no answer within 1300 ms' });
      expect(result.durationMs).toBeGreaterThanOrEqual(1_250);
      // Sent once, then again after a second of silence.
      expect(queries).toBe(2);
    } finally {
      silent.close();
    }
  });
});
