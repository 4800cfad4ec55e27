export { auditJail, type AuditOptions } from './audit-jail.js';
export {
  AUDIT_REPORT_SCHEMA_VERSION,
  SEVERITIES,
  allowPathMatches,
  applyAllowList,
  failingFindings,
  shellQuote,
  sortFindings,
  summarize,
  type AuditReport,
  type AuditSummary,
  type Finding,
  type UncheckedNote,
} from './finding.js';
export { formatAuditJson, formatAuditText, type AuditVerdict } from './format-report.js';
export { runAudit, type AuditCommandOptions, type AuditCommandResult } from './run-audit.js';
