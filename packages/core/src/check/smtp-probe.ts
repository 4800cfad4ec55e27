import type net from 'node:net';
import type { SmtpProbe } from '../recipe/probe-schema.js';
import { describeFailure, hostPort } from './deadline.js';
import type { ProbeOutcome } from './probe-result.js';
import { connectTcp } from './tcp-probe.js';

/** One SMTP reply: the code and its text lines (a multi-line reply has several). */
export interface SmtpReply {
  code: number;
  lines: string[];
}

/** Guards against a server that never ends a line. */
const MAX_REPLY_BYTES = 64 * 1024;

/** Reads SMTP replies (RFC 5321 §4.2: "250-first", "250 last") from a socket, one at a time. */
class SmtpReader {
  private buffer = '';
  private pending: { resolve: (reply: SmtpReply) => void; reject: (error: unknown) => void } | undefined;
  private failure: unknown;
  private closed = false;

  constructor(socket: net.Socket, signal: AbortSignal) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      if (this.buffer.length > MAX_REPLY_BYTES) this.fail(new Error(`reply longer than ${MAX_REPLY_BYTES} bytes`));
      else this.deliver();
    });
    socket.once('error', (error) => this.fail(error));
    socket.once('close', () => {
      this.closed = true;
      this.deliver();
    });
    signal.addEventListener('abort', () => this.fail(signal.reason), { once: true });
  }

  next(): Promise<SmtpReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.deliver();
    });
  }

  private fail(error: unknown) {
    this.failure ??= error;
    this.deliver();
  }

  private deliver() {
    if (!this.pending) return;
    const reply = this.take();
    const pending = this.pending;
    if (reply) {
      this.pending = undefined;
      pending.resolve(reply);
    } else if (this.failure !== undefined || this.closed) {
      this.pending = undefined;
      const partial = this.buffer.trim();
      pending.reject(this.failure ?? new Error(partial ? `connection closed after ${JSON.stringify(partial)}` : 'connection closed without a reply'));
    }
  }

  private take(): SmtpReply | undefined {
    const lines: string[] = [];
    let offset = 0;
    for (;;) {
      const end = this.buffer.indexOf('\n', offset);
      if (end < 0) return undefined;
      const line = this.buffer.slice(offset, end).replace(/\r$/, '');
      offset = end + 1;
      const match = /^(\d{3})([ -]|$)(.*)$/.exec(line);
      if (!match) {
        this.buffer = this.buffer.slice(offset);
        return { code: 0, lines: [line] };
      }
      lines.push(`${match[1]} ${match[3]}`.trimEnd());
      if (match[2] !== '-') {
        this.buffer = this.buffer.slice(offset);
        return { code: Number(match[1]), lines };
      }
    }
  }
}

function show(reply: SmtpReply): string {
  return reply.code === 0 ? `a line that is not an SMTP reply: ${JSON.stringify(reply.lines[0])}` : reply.lines.join(' / ');
}

/** Reads the 220 greeting, says EHLO (HELO when EHLO is not recognized) and expects 250, then QUITs. */
export async function checkSmtp(probe: SmtpProbe, signal: AbortSignal): Promise<ProbeOutcome> {
  const target = hostPort(probe.host, probe.port);
  const bannerClause = probe.expectBanner === undefined ? '' : ` matching /${probe.expectBanner}/`;
  const expectedBanner = `a 220 banner${bannerClause} from ${target}`;
  const expectedEhlo = `250 to EHLO ${probe.ehlo} from ${target}`;
  let socket: net.Socket | undefined;
  let step = 'connecting';
  try {
    socket = await connectTcp(probe.host, probe.port, signal);
    const reader = new SmtpReader(socket, signal);
    step = 'waiting for the banner';
    const banner = await reader.next();
    if (banner.code !== 220) return { ok: false, expected: expectedBanner, actual: show(banner) };
    if (probe.expectBanner !== undefined && !new RegExp(probe.expectBanner).test(banner.lines.join('\n'))) {
      return { ok: false, expected: expectedBanner, actual: show(banner) };
    }
    step = `waiting for the answer to EHLO ${probe.ehlo}`;
    socket.write(`EHLO ${probe.ehlo}\r\n`);
    let greeting = await reader.next();
    let said = 'EHLO';
    if (greeting.code === 500 || greeting.code === 502) {
      // RFC 5321 §3.2: a client falls back to HELO when EHLO is not recognized. Obtuse SMTPD speaks only HELO.
      const refusal = greeting.lines[0];
      const expectedHelo = `250 to HELO ${probe.ehlo} (after EHLO was refused: ${refusal}) from ${target}`;
      step = `waiting for the answer to HELO ${probe.ehlo}`;
      socket.write(`HELO ${probe.ehlo}\r\n`);
      greeting = await reader.next();
      if (greeting.code !== 250) return { ok: false, expected: expectedHelo, actual: show(greeting) };
      said = `HELO (EHLO refused: ${refusal})`;
    } else if (greeting.code !== 250) return { ok: false, expected: expectedEhlo, actual: show(greeting) };
    socket.write('QUIT\r\n');
    // A server that hangs up on QUIT without 221 still passed the probe.
    await reader.next().catch(() => undefined);
    return { ok: true, expected: `${expectedBanner}, then ${expectedEhlo}`, actual: `${show(banner)}; ${said}: ${greeting.lines[0]}` };
  } catch (error) {
    return { ok: false, expected: `${expectedBanner}, then ${expectedEhlo}`, actual: `${describeFailure(error)} while ${step}` };
  } finally {
    socket?.destroy();
  }
}
