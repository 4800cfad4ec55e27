export {
  KNOWN_DEVICES,
  KNOWN_PRESETS,
  RECIPE_SCHEMA_URL,
  RecipeSchema,
  SPEC_VERSIONS,
  type Device,
  type DirectoryEntry,
  type FileEntry,
  type LinkMode,
  type Preset,
  type Recipe,
  type RecipeJail,
  type SymlinkEntry,
  type UserEntry,
  type WriteEntry,
} from './schema.js';
export {
  normalizeRecipe,
  parseMode,
  type NormalizedDirectoryEntry,
  type NormalizedFileEntry,
  type NormalizedRecipe,
  type NormalizedSymlinkEntry,
  type NormalizedUserEntry,
  type NormalizedWriteEntry,
} from './normalize.js';
export {
  BUILD_OPERATING_SYSTEMS,
  BUILD_PLACEHOLDERS,
  BuildSchema,
  type BuildOperatingSystem,
  type BuildProfile,
  type BuildRelease,
  type BuildSettings,
  type BuildSourceFile,
  type BuildStep,
  type SourceEdit,
} from './build-schema.js';
export { didYouMean, editDistance } from './did-you-mean.js';
export { OPTION_TYPES, OptionsSchema, type OptionDeclaration, type OptionType } from './options-schema.js';
export { canonicalSelection, sameSelection, type RecipeSelection } from './selection.js';
export { jailPathProblem, symlinkTargetProblem } from './jail-path.js';
export { recipeJsonSchema, recipeJsonSchemaText } from './json-schema.js';
export { formatRecipePath, loadRecipe, loadRecipeAsWritten, parseRecipe, recipePositions, type LoadedRecipe, type RecipePositions } from './load.js';
export { MAX_RECIPE_BYTES, readRecipeText } from './read-recipe-text.js';
export { RecipeError, formatRecipeIssue, type RecipeIssue } from './recipe-error.js';
export {
  RECIPE_FILE_NAME,
  RECIPE_SCOPE,
  resolveRecipeReference,
  type ResolveRecipeReferenceOptions,
} from './resolve-reference.js';
export {
  KNOWN_CAPABILITIES,
  LAUNCH_MODES,
  LaunchSchema,
  STOP_SIGNALS,
  normalizeLaunch,
  type Capability,
  type Launch,
  type LaunchMode,
  type NormalizedLaunch,
  type StopSignal,
} from './launch-schema.js';
export {
  DEFAULT_PROBE_TIMEOUT_MS,
  DNS_RECORD_TYPES,
  ProbeSchema,
  type DnsProbe,
  type DnsRecordType,
  type HttpProbe,
  type LogProbe,
  type Probe,
  type ProbeInput,
  type ProbeType,
  type ProcessProbe,
  type SmtpProbe,
  type TcpProbe,
} from './probe-schema.js';
export {
  DEFAULT_SYSLOG,
  RATE_LIMIT_POLICIES,
  SYSLOG_METHODS,
  SyslogSchema,
  normalizeRateLimit,
  type DaemonPerJailSyslog,
  type NormalizedRateLimit,
  type RateLimitPolicy,
  type RelayRateLimit,
  type RelaySyslog,
  type RsyslogSyslog,
  type Syslog,
  type SyslogMethod,
  type SyslogNgSyslog,
} from './syslog-schema.js';
export {
  AUDIT_CHECKS,
  AuditSchema,
  type AuditAllowEntry,
  type AuditCheck,
  type AuditSettings,
  type AuditSeverity,
} from './audit-schema.js';
