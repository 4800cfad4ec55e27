export {
  SOLARIS_MKNOD_REFUSAL,
  formatSyslogPlan,
  startSyslog,
  stopSyslog,
  syslogPlan,
  syslogSettings,
  type SyslogContext,
  type SyslogHandle,
  type SyslogPlan,
  type SyslogRuntimeOptions,
} from './syslog.js';
export { ensureRelayProgram, findRelay, relayProgramPath, startRelay, type RelayHandle, type RelayStats } from './relay.js';
export {
  daemonPerJailConfig,
  installRsyslogDropIn,
  removeRsyslogDropIn,
  rsyslogDropIn,
  rsyslogDropInName,
  startRsyslogInstance,
  type RsyslogInstance,
  type RsyslogInstanceOptions,
  type RsyslogRuntimeOptions,
} from './rsyslog.js';
export { syslogNgSnippet, syslogNgSnippetPath, writeSyslogNgSnippet } from './syslog-ng.js';
export { jailSocketPath } from './jail-socket.js';
