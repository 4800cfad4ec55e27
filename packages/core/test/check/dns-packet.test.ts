import { describe, expect, it } from 'vitest';
import { decodeMessage, DnsFormatError, encodeQuery } from '../../src/check/index.js';
import { normalizeRecordData } from '../../src/check/dns-packet.js';

// Hand-made wire bytes, so the codec is checked against RFC 1035, not against itself.
const u16 = (value: number) => [value >> 8, value & 0xff];
const u32 = (value: number) => [...u16(value >>> 16), ...u16(value & 0xffff)];
const labels = (...parts: string[]) => parts.flatMap((part) => [part.length, ...Buffer.from(part, 'ascii')]);
const pointer = (offset: number) => [0xc0 | (offset >> 8), offset & 0xff];
const record = (owner: number[], type: number, data: number[], ttl = 300) => [...owner, ...u16(type), ...u16(1), ...u32(ttl), ...u16(data.length), ...data];

describe('encodeQuery', () => {
  it('writes the header, the question name as labels and QTYPE/QCLASS', () => {
    const query = encodeQuery({ id: 0xbeef, name: 'www.example.test', type: 'A' });
    expect([...query]).toEqual([
      0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
      3, 0x77, 0x77, 0x77, 7, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 4, 0x74, 0x65, 0x73, 0x74, 0,
      0, 1, 0, 1,
    ]);
    expect([...encodeQuery({ id: 1, name: 'example.test.', type: 'AAAA', recursionDesired: false }).subarray(2, 4)]).toEqual([0, 0]);
    expect(encodeQuery({ id: 1, name: 'example.test', type: 'MX' }).readUInt16BE(26)).toBe(15);
  });

  it('refuses labels longer than 63 bytes and empty labels', () => {
    expect(() => encodeQuery({ id: 1, name: `${'a'.repeat(64)}.test`, type: 'A' })).toThrow(/label of 64 bytes/);
    expect(() => encodeQuery({ id: 1, name: 'a..test', type: 'A' })).toThrow(/label of 0 bytes/);
  });
});

describe('decodeMessage', () => {
  // Question at byte 12: www.example.test; "example.test" starts at byte 16.
  const question = [...labels('www', 'example', 'test'), 0, ...u16(1), ...u16(1)];
  const header = (flags: number, counts: [number, number, number, number]) => [...u16(0x1234), ...u16(flags), ...counts.flatMap(u16)];

  it('reads flags, the question and compressed answers of every supported type', () => {
    const mailOwner = [...labels('mail'), ...pointer(16)];
    const answers = [
      record(pointer(12), 1, [192, 0, 2, 1]),
      record(pointer(12), 28, [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]),
      record(pointer(16), 15, [...u16(10), ...mailOwner]),
      record(pointer(16), 2, [...labels('ns1'), ...pointer(16)]),
      record([...labels('alias'), ...pointer(16)], 5, pointer(12)),
      record(pointer(16), 16, [11, ...Buffer.from('v=spf1 -all'), 3, ...Buffer.from('two')]),
      record(pointer(16), 6, [...labels('ns1'), ...pointer(16), ...labels('hostmaster'), ...pointer(16), ...u32(2024010101), ...u32(3600), ...u32(600), ...u32(86400), ...u32(300)]),
    ];
    const packet = Buffer.from([...header(0x8580, [1, answers.length, 0, 0]), ...question, ...answers.flat()]);
    const message = decodeMessage(packet);
    expect(message.id).toBe(0x1234);
    expect(message.flags).toEqual({ response: true, opcode: 0, authoritative: true, truncated: false, recursionDesired: true, recursionAvailable: true, rcode: 0 });
    expect(message.rcodeName).toBe('NOERROR');
    expect(message.questions).toEqual([{ name: 'www.example.test.', type: 1, class: 1 }]);
    expect(message.answers.map((answer) => `${answer.name} ${answer.ttl} ${answer.typeName} ${answer.data}`)).toEqual([
      'www.example.test. 300 A 192.0.2.1',
      'www.example.test. 300 AAAA 2001:db8::1',
      'example.test. 300 MX 10 mail.example.test.',
      'example.test. 300 NS ns1.example.test.',
      'alias.example.test. 300 CNAME www.example.test.',
      'example.test. 300 TXT "v=spf1 -all" "two"',
      'example.test. 300 SOA ns1.example.test. hostmaster.example.test. 2024010101 3600 600 86400 300',
    ]);
  });

  it('reads NXDOMAIN with the SOA in the authority section, and unknown types as hex', () => {
    const soa = record(pointer(16), 6, [...labels('ns1'), ...pointer(16), ...labels('h'), ...pointer(16), ...u32(1), ...u32(2), ...u32(3), ...u32(4), ...u32(5)]);
    const unknown = record(pointer(12), 99, [0xde, 0xad]);
    const message = decodeMessage(Buffer.from([...header(0x8403, [1, 0, 1, 1]), ...question, ...soa, ...unknown]));
    expect(message.flags.authoritative).toBe(true);
    expect(message.flags.recursionAvailable).toBe(false);
    expect(message.rcodeName).toBe('NXDOMAIN');
    expect(message.answers).toEqual([]);
    expect(message.authorities[0]?.data).toBe('ns1.example.test. h.example.test. 1 2 3 4 5');
    expect(message.additionals[0]).toMatchObject({ typeName: 'TYPE99', data: '\\# 2 dead' });
  });

  it('rejects compression loops, forward pointers and messages cut short, saying where', () => {
    const loop = Buffer.from([...header(0x8000, [1, 0, 0, 0]), ...pointer(12), ...u16(1), ...u16(1)]);
    expect(() => decodeMessage(loop)).toThrow(DnsFormatError);
    expect(() => decodeMessage(loop)).toThrow(/byte 12: compression pointer to byte 12 does not point backwards/);
    const cut = Buffer.from([...header(0x8000, [1, 1, 0, 0]), ...question, ...pointer(12), ...u16(1)]);
    expect(() => decodeMessage(cut)).toThrow(/record class runs past the end/);
    const badLength = Buffer.from([...header(0x8000, [1, 1, 0, 0]), ...question, ...record(pointer(12), 1, [1, 2, 3])]);
    expect(() => decodeMessage(badLength)).toThrow(/A record of 3 bytes/);
    expect(() => decodeMessage(Buffer.from([1, 2, 3]))).toThrow(/header runs past the end/);
  });
});

describe('normalizeRecordData', () => {
  it('compares names without case or final dot, IPv6 in canonical form and TXT parts joined', () => {
    expect(normalizeRecordData('MX', '10 Mail.Example.Test.')).toBe(normalizeRecordData('MX', '10 mail.example.test'));
    expect(normalizeRecordData('AAAA', '2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeRecordData('TXT', '"v=spf1 -all" "two"')).toBe('v=spf1 -alltwo');
    expect(normalizeRecordData('TXT', 'v=spf1 -all')).toBe('v=spf1 -all');
    expect(normalizeRecordData('A', '192.0.2.1')).not.toBe(normalizeRecordData('A', '192.0.2.10'));
  });
});
