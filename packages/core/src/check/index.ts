export { formatProbeResult, type ProbeContext, type ProbeResult } from './probe-result.js';
export { describeProbe, parseProbe, runProbe, runProbes, waitFor, type WaitForOptions, type WaitForResult } from './run-probe.js';
export { listDescendants, processTree } from './process-tree.js';
export {
  decodeMessage,
  encodeQuery,
  DnsFormatError,
  type DnsFlags,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
} from './dns-packet.js';
export { queryDns } from './dns-probe.js';
