import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import type { DnsProbe, DnsRecordType } from '../recipe/probe-schema.js';
import { describeFailure, hostPort } from './deadline.js';
import { decodeMessage, encodeQuery, normalizeRecordData, RECORD_TYPE_CODES, type DnsMessage } from './dns-packet.js';
import type { ProbeOutcome } from './probe-result.js';

/** UDP may lose the query or the answer: ask again this often until the deadline. */
const RESEND_INTERVAL_MS = 1_000;

function sameName(left: string, right: string): boolean {
  const strip = (name: string) => name.replace(/\.$/, '').toLowerCase();
  return strip(left) === strip(right);
}

/** Sends one question over UDP (connected, so an ICMP port-unreachable reads as ECONNREFUSED) and returns the matching answer. */
export function queryDns(
  options: { server: string; port: number; name: string; type: DnsRecordType },
  signal: AbortSignal,
): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const id = randomInt(0, 0x10000);
    const query = encodeQuery({ id, name: options.name, type: options.type });
    const socket = dgram.createSocket(net.isIPv6(options.server) ? 'udp6' : 'udp4');
    let resendTimer: NodeJS.Timeout | undefined;
    const finish = (error: unknown, message?: DnsMessage) => {
      clearInterval(resendTimer);
      signal.removeEventListener('abort', onAbort);
      socket.close();
      if (message) resolve(message);
      else reject(error);
    };
    const onAbort = () => finish(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const send = () => socket.send(query, (error) => error && finish(error));
    socket.on('error', (error) => finish(error));
    socket.on('message', (packet) => {
      let message: DnsMessage;
      try {
        message = decodeMessage(packet);
      } catch (error) {
        // An answer we cannot read is a finding, but only if it is ours.
        if (packet.length >= 2 && packet.readUInt16BE(0) === id) finish(error);
        return;
      }
      const question = message.questions[0];
      const ours =
        message.id === id &&
        message.flags.response &&
        (question === undefined || (sameName(question.name, options.name) && question.type === RECORD_TYPE_CODES[options.type]));
      if (ours) finish(undefined, message);
    });
    socket.connect(options.port, options.server, () => {
      send();
      resendTimer = setInterval(send, RESEND_INTERVAL_MS);
    });
  });
}

/** Asks the server the probe's question and checks rcode, the AA flag and the expected record. */
export async function checkDns(probe: DnsProbe, signal: AbortSignal): Promise<ProbeOutcome> {
  const server = hostPort(probe.server, probe.port);
  const what = probe.expect === undefined ? `an ${probe.recordType} record` : `${probe.recordType} ${probe.expect}`;
  const authority = probe.authoritative === undefined ? '' : probe.authoritative ? ' (authoritative)' : ' (not authoritative)';
  const expected = `${what} for ${probe.name} from ${server}${authority}`;
  let message: DnsMessage;
  try {
    message = await queryDns({ server: probe.server, port: probe.port, name: probe.name, type: probe.recordType }, signal);
  } catch (error) {
    return { ok: false, expected, actual: describeFailure(error) };
  }
  const aa = message.flags.authoritative ? ' (authoritative)' : ' (not authoritative)';
  if (message.flags.truncated) {
    return { ok: false, expected, actual: `a truncated answer (TC set; the probe does not retry over TCP)${aa}` };
  }
  if (message.flags.rcode !== 0) return { ok: false, expected, actual: `${message.rcodeName}${aa}` };
  const records = message.answers.filter((record) => record.typeName === probe.recordType);
  const shown = records.length === 0 ? `NOERROR with no ${probe.recordType} record` : records.map((record) => `${record.typeName} ${record.data}`).join(', ');
  const actual = `${shown}${aa}`;
  if (records.length === 0) return { ok: false, expected, actual };
  if (probe.expect !== undefined) {
    const wanted = normalizeRecordData(probe.recordType, probe.expect);
    if (!records.some((record) => normalizeRecordData(probe.recordType, record.data) === wanted)) return { ok: false, expected, actual };
  }
  if (probe.authoritative !== undefined && message.flags.authoritative !== probe.authoritative) return { ok: false, expected, actual };
  return { ok: true, expected, actual };
}
