import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/check/index.js';

// No MTA is installed on the test machines (Obtuse SMTPD is not a Debian package and postfix/exim would take
// port 25 system-wide), so these tests talk to a small scripted SMTP server that follows RFC 5321's reply syntax.
interface FakeSmtp {
  port: number;
  commands: string[];
  close: () => Promise<void>;
}

const servers: FakeSmtp[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function fakeSmtp(options: { banner?: string; ehloReply?: string; heloReply?: string; silent?: boolean } = {}): Promise<FakeSmtp> {
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    if (options.silent) return;
    socket.write(`${options.banner ?? '220 mx.example.test ESMTP ready'}\r\n`);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const command = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        commands.push(command);
        if (/^EHLO /i.test(command)) socket.write(options.ehloReply ?? '250-mx.example.test greets you\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n');
        else if (/^HELO /i.test(command) && options.heloReply) socket.write(options.heloReply);
        else if (/^QUIT$/i.test(command)) socket.end('221 2.0.0 bye\r\n');
        else socket.write('502 5.5.2 command not recognized\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const fake = {
        port: (server.address() as net.AddressInfo).port,
        commands,
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise<void>((done) => server.close(() => done()));
        },
      };
      servers.push(fake);
      resolve(fake);
    });
  });
}

describe('smtp probe', () => {
  it('reads the 220 banner, says EHLO, gets a multi-line 250, then QUITs', async () => {
    const server = await fakeSmtp();
    const result = await runProbe({ type: 'smtp', port: server.port, expectBanner: 'ESMTP' }, { root: '/' });
    expect(result).toMatchObject({ ok: true, probe: `smtp 127.0.0.1:${server.port}`, actual: '220 mx.example.test ESMTP ready; EHLO: 250 mx.example.test greets you' });
    expect(server.commands).toEqual(['EHLO jailwright.test', 'QUIT']);
  });

  it('fails a banner that does not match, showing the banner it got', async () => {
    const server = await fakeSmtp({ banner: '220 other.host Sendmail ready' });
    const result = await runProbe({ type: 'smtp', port: server.port, expectBanner: '^220 mx\\.example\\.test' }, { root: '/' });
    expect(result).toMatchObject({
      ok: false,
      expected: `a 220 banner matching /^220 mx\\.example\\.test/ from 127.0.0.1:${server.port}`,
      actual: '220 other.host Sendmail ready',
    });
  });

  it('fails a server that greets with 554 instead of 220', async () => {
    const server = await fakeSmtp({ banner: '554-mx.example.test no service\r\n554 go away' });
    const result = await runProbe({ type: 'smtp', port: server.port }, { root: '/' });
    expect(result).toMatchObject({ ok: false, actual: '554 mx.example.test no service / 554 go away' });
  });

  it('fails when EHLO is refused other than as unknown, with the EHLO sent and the reply', async () => {
    const server = await fakeSmtp({ ehloReply: '554 5.7.1 no service for you\r\n' });
    const result = await runProbe({ type: 'smtp', port: server.port, ehlo: 'probe.example' }, { root: '/' });
    expect(result).toMatchObject({ ok: false, expected: `250 to EHLO probe.example from 127.0.0.1:${server.port}`, actual: '554 5.7.1 no service for you' });
    expect(server.commands).toEqual(['EHLO probe.example']);
  });

  it('falls back to HELO when EHLO is not recognized (a plain SMTP server such as Obtuse SMTPD)', async () => {
    const server = await fakeSmtp({ ehloReply: '500 Command unrecognized\r\n', heloReply: '250 mx.example.test Hello\r\n' });
    const result = await runProbe({ type: 'smtp', port: server.port, ehlo: 'probe.example' }, { root: '/' });
    expect(result).toMatchObject({ ok: true, actual: '220 mx.example.test ESMTP ready; HELO (EHLO refused: 500 Command unrecognized): 250 mx.example.test Hello' });
    expect(server.commands).toEqual(['EHLO probe.example', 'HELO probe.example', 'QUIT']);
  });

  it('fails when HELO is refused too, saying EHLO was refused first', async () => {
    const server = await fakeSmtp({ ehloReply: '502 5.5.2 not implemented\r\n' });
    const result = await runProbe({ type: 'smtp', port: server.port, ehlo: 'probe.example' }, { root: '/' });
    expect(result).toMatchObject({
      ok: false,
      expected: `250 to HELO probe.example (after EHLO was refused: 502 5.5.2 not implemented) from 127.0.0.1:${server.port}`,
      actual: '502 5.5.2 command not recognized',
    });
  });

  it('times out waiting for a banner that never comes, saying what it waited for', async () => {
    const server = await fakeSmtp({ silent: true });
    const result = await runProbe({ type: 'smtp', port: server.port, timeoutMs: 300 }, { root: '/' });
    expect(result).toMatchObject({ ok: false, actual: 'no answer within 300 ms while waiting for the banner' });
  });

  it('says connection refused when nothing listens', async () => {
    const server = await fakeSmtp();
    await server.close();
    const result = await runProbe({ type: 'smtp', port: server.port }, { root: '/' });
    expect(result).toMatchObject({ ok: false, actual: 'connection refused (ECONNREFUSED) while connecting' });
  });
});
