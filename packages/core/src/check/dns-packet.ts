// A small DNS message codec (RFC 1035, AAAA from RFC 3596): enough to ask one question and read the answer.
import type { DnsRecordType } from '../recipe/probe-schema.js';

/** Numeric codes of the record types the codec reads. */
export const RECORD_TYPE_CODES: Record<DnsRecordType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };

const RECORD_TYPE_NAMES = new Map<number, string>(Object.entries(RECORD_TYPE_CODES).map(([name, code]) => [code, name]));

/** RCODE names (RFC 1035 §4.1.1, RFC 2136). */
export const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

/** A resource record; `data` is its RDATA as dig shows it ("192.0.2.1", "10 mail.example.test."), or hex for types the codec does not read. */
export interface DnsRecord {
  name: string;
  type: number;
  typeName: string;
  class: number;
  ttl: number;
  data: string;
}

export interface DnsFlags {
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
}

export interface DnsMessage {
  id: number;
  flags: DnsFlags;
  rcodeName: string;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** Thrown for a malformed message, saying at which byte. */
export class DnsFormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`malformed DNS message at byte ${offset}: ${message}`);
    this.name = 'DnsFormatError';
  }
}

function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const bytes = Buffer.from(label, 'ascii');
      if (bytes.length === 0 || bytes.length > 63) throw new Error(`DNS name ${JSON.stringify(name)} has a label of ${bytes.length} bytes (1 to 63 allowed)`);
      parts.push(Buffer.from([bytes.length]), bytes);
    }
  }
  parts.push(Buffer.from([0]));
  const encoded = Buffer.concat(parts);
  if (encoded.length > 255) throw new Error(`DNS name ${JSON.stringify(name)} is longer than 255 bytes`);
  return encoded;
}

/** Builds a standard query for one question (class IN). */
export function encodeQuery(options: { id: number; name: string; type: DnsRecordType; recursionDesired?: boolean }): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(options.id & 0xffff, 0);
  header.writeUInt16BE(options.recursionDesired === false ? 0 : 0x0100, 2);
  header.writeUInt16BE(1, 4);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(RECORD_TYPE_CODES[options.type], 0);
  question.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeName(options.name), question]);
}

class Reader {
  constructor(readonly buffer: Buffer, public offset = 0) {}

  need(count: number, what: string) {
    if (this.offset + count > this.buffer.length) throw new DnsFormatError(`${what} runs past the end (${this.buffer.length} bytes)`, this.offset);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buffer.readUInt8(this.offset++);
  }
  u16(what: string): number {
    this.need(2, what);
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  u32(what: string): number {
    this.need(4, what);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  bytes(count: number, what: string): Buffer {
    this.need(count, what);
    const value = this.buffer.subarray(this.offset, this.offset + count);
    this.offset += count;
    return value;
  }

  /** Reads a possibly compressed name; pointers must point backwards, so a loop cannot hang the reader. */
  name(): string {
    const labels: string[] = [];
    let position = this.offset;
    let jumped = false;
    let length = 0;
    for (;;) {
      if (position >= this.buffer.length) throw new DnsFormatError('name runs past the end', position);
      const byte = this.buffer.readUInt8(position);
      if ((byte & 0xc0) === 0xc0) {
        if (position + 1 >= this.buffer.length) throw new DnsFormatError('compression pointer runs past the end', position);
        const target = this.buffer.readUInt16BE(position) & 0x3fff;
        if (target >= position) throw new DnsFormatError(`compression pointer to byte ${target} does not point backwards`, position);
        if (!jumped) this.offset = position + 2;
        jumped = true;
        position = target;
        continue;
      }
      if ((byte & 0xc0) !== 0) throw new DnsFormatError(`unknown label type 0x${byte.toString(16)}`, position);
      if (byte === 0) {
        if (!jumped) this.offset = position + 1;
        break;
      }
      if (position + 1 + byte > this.buffer.length) throw new DnsFormatError('label runs past the end', position);
      labels.push(this.buffer.toString('latin1', position + 1, position + 1 + byte));
      length += byte + 1;
      if (length > 255) throw new DnsFormatError('name longer than 255 bytes', position);
      position += byte + 1;
    }
    return labels.length === 0 ? '.' : `${labels.join('.')}.`;
  }
}

function formatIpv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index).toString(16));
  return canonicalIpv6(groups.join(':')) ?? groups.join(':');
}

/** RFC 5952 text of an IPv6 address ("2001:db8::1"), or undefined when it is not one. */
export function canonicalIpv6(text: string): string | undefined {
  try {
    const hostname = new URL(`http://[${text}]/`).hostname;
    return hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function characterStrings(data: Buffer): string[] {
  const strings: string[] = [];
  let offset = 0;
  while (offset < data.length) {
    const length = data.readUInt8(offset);
    if (offset + 1 + length > data.length) throw new DnsFormatError('TXT string runs past its record', offset);
    strings.push(data.toString('utf8', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  return strings;
}

function readRecordData(reader: Reader, type: number, length: number): string {
  const start = reader.offset;
  const end = start + length;
  reader.need(length, 'record data');
  let data: string;
  switch (type) {
    case RECORD_TYPE_CODES.A:
      if (length !== 4) throw new DnsFormatError(`A record of ${length} bytes`, start);
      data = [...reader.bytes(4, 'A')].join('.');
      break;
    case RECORD_TYPE_CODES.AAAA:
      if (length !== 16) throw new DnsFormatError(`AAAA record of ${length} bytes`, start);
      data = formatIpv6(reader.bytes(16, 'AAAA'));
      break;
    case RECORD_TYPE_CODES.NS:
    case RECORD_TYPE_CODES.CNAME:
      data = reader.name();
      break;
    case RECORD_TYPE_CODES.MX: {
      const preference = reader.u16('MX preference');
      data = `${preference} ${reader.name()}`;
      break;
    }
    case RECORD_TYPE_CODES.SOA: {
      const primary = reader.name();
      const mailbox = reader.name();
      const numbers = ['serial', 'refresh', 'retry', 'expire', 'minimum'].map((what) => reader.u32(`SOA ${what}`));
      data = [primary, mailbox, ...numbers].join(' ');
      break;
    }
    case RECORD_TYPE_CODES.TXT:
      data = characterStrings(reader.bytes(length, 'TXT'))
        .map((text) => JSON.stringify(text))
        .join(' ');
      break;
    default:
      data = `\\# ${length} ${reader.bytes(length, 'record data').toString('hex')}`;
  }
  if (reader.offset !== end) throw new DnsFormatError(`record data ends at byte ${reader.offset}, its length says ${end}`, start);
  return data;
}

function readRecord(reader: Reader): DnsRecord {
  const name = reader.name();
  const type = reader.u16('record type');
  const recordClass = reader.u16('record class');
  const ttl = reader.u32('record TTL');
  const length = reader.u16('record data length');
  const data = readRecordData(reader, type, length);
  return { name, type, typeName: RECORD_TYPE_NAMES.get(type) ?? `TYPE${type}`, class: recordClass, ttl, data };
}

/** Parses a DNS message: header flags, questions and the three record sections. */
export function decodeMessage(buffer: Buffer): DnsMessage {
  const reader = new Reader(buffer);
  const id = reader.u16('header');
  const bits = reader.u16('header');
  const counts = [0, 0, 0, 0].map(() => reader.u16('header')) as [number, number, number, number];
  const flags: DnsFlags = {
    response: (bits & 0x8000) !== 0,
    opcode: (bits >> 11) & 0xf,
    authoritative: (bits & 0x0400) !== 0,
    truncated: (bits & 0x0200) !== 0,
    recursionDesired: (bits & 0x0100) !== 0,
    recursionAvailable: (bits & 0x0080) !== 0,
    rcode: bits & 0xf,
  };
  const questions: DnsQuestion[] = [];
  for (let index = 0; index < counts[0]; index++) {
    questions.push({ name: reader.name(), type: reader.u16('question type'), class: reader.u16('question class') });
  }
  const section = (count: number) => Array.from({ length: count }, () => readRecord(reader));
  const answers = section(counts[1]);
  const authorities = section(counts[2]);
  const additionals = section(counts[3]);
  return { id, flags, rcodeName: RCODE_NAMES[flags.rcode] ?? `RCODE${flags.rcode}`, questions, answers, authorities, additionals };
}

/** The form records are compared in: lower-case, single spaces, names without the final dot, IPv6 canonical. */
export function normalizeRecordData(type: DnsRecordType, data: string): string {
  if (type === 'AAAA') return canonicalIpv6(data.trim()) ?? data.trim().toLowerCase();
  if (type === 'TXT') return unquoteText(data);
  return data
    .trim()
    .split(/\s+/)
    .map((word) => (word.length > 1 ? word.replace(/\.$/, '') : word).toLowerCase())
    .join(' ');
}

/** TXT data as one string: dig-style quoted parts ("a" "b") are joined; bare text is taken as it is. */
function unquoteText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('"')) return trimmed;
  try {
    return (trimmed.match(/"(?:[^"\\]|\\.)*"/g) ?? []).map((part) => JSON.parse(part) as string).join('');
  } catch {
    return trimmed;
  }
}
