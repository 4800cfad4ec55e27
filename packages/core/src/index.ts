export { ExitCode, JailwrightError } from './errors.js';
export { ENGINE_VERSION } from './version.js';
export * from './recipe/index.js';
export { buildJail, defaultJailRoot, type BuildJailOptions, type BuildJailOutcome } from './build-jail.js';
export { planJail, requestFromRecipe, type PlanOptions } from './plan/plan.js';
export { jailNsswitch } from './plan/presets.js';
export type { Operation, Plan, CopyFile, MakeDirectory, MakeDevice, MakeSymlink, WriteFile, SourceStamp } from './plan/types.js';
export { applyPlan, type ApplyOptions, type ApplyResult } from './apply/apply.js';
export { generationManifestPath, jailLayout, type JailLayout } from './apply/jail-layout.js';
export { compareWithManifest, readManifest, type Drift, type Manifest, type ManifestEntry } from './apply/manifest.js';
export { HostView } from './host/host-view.js';
export { parseProcessStatus, readProcessStatus, type ProcessStatus } from './host/processes.js';
export * from './check/index.js';
export * from './syslog/index.js';
export { launchCommand, CHROOT_STEP_CAPABILITIES, type LaunchCommand, type LaunchTools, type ServiceIdentity } from './launch/launch-command.js';
export { describeLandlockScope, LANDLOCK_SCOPE_ABI, LANDLOCK_SCOPES, prepareLandlockScope, type LandlockScopePlan, type LandlockScopeStatus } from './launch/landlock-scope.js';
export { defaultHelperDirectory, ensureHelperProgram, helperProgramPath, type HelperProgram } from './native/helper-program.js';
export { launchFiles, type LaunchFiles } from './launch/launch-files.js';
export type { LaunchSpec, LaunchState, LaunchStatus, ServiceExit } from './launch/launch-state.js';
export {
  findLaunchTools,
  readServiceStatus,
  resolveServiceIdentity,
  serviceStatus,
  startService,
  stopService,
  type ServiceStatus,
  type ServiceTarget,
  type StartOptions,
  type StartOutcome,
  type StopOutcome,
} from './launch/service-control.js';
export * from './audit/index.js';
export {
  RUNNING_AUDIT_SCHEMA_VERSION,
  RUNNING_CHECKS,
  auditProcess,
  landlockCheck,
  runRunningAudit,
  type RunningAuditReport,
  type RunningCheck,
  type RunningCheckName,
  type RunningExpectation,
} from './audit/running-audit.js';
export * from './trace/index.js';
export { verifyJail, formatVerifyText, type VerifyReport } from './lifecycle/verify-jail.js';
export { findOutdated, formatOutdatedText, type OutdatedFile, type OutdatedReport, type StaleMapping } from './lifecycle/outdated.js';
export { updateJail, formatUpdateText, type PlanChange, type UpdateOptions, type UpdateReport } from './lifecycle/update-jail.js';
export { listJails, formatJailList, type JailList, type ListedJail } from './lifecycle/list-jails.js';
export { registryDirectory, type RegistryEntry } from './lifecycle/registry.js';
export { serviceDataDirectories } from './apply/service-data.js';
export { rollBack } from './apply/apply.js';
export * from './compile/index.js';
export { EXTENDS_ORDER, JAIL_ORDER, LINT_DEVICE_ALLOW_LIST, LINT_RULES, TOP_LEVEL_ORDER, formatLintFinding, lintRecipe, lintRecipeText, type LintFinding, type LintRule } from './lint/lint-recipe.js';
export * from './export/index.js';
