export { ExitCode, JailwrightError } from './errors.js';
export { ENGINE_VERSION } from './version.js';
export * from './recipe/index.js';
export { buildJail, defaultJailRoot, type BuildJailOptions, type BuildJailOutcome } from './build-jail.js';
export { planJail, requestFromRecipe, type PlanOptions } from './plan/plan.js';
export { jailNsswitch } from './plan/presets.js';
export type { Operation, Plan, CopyFile, MakeDirectory, MakeDevice, MakeSymlink, WriteFile, SourceStamp } from './plan/types.js';
export { applyPlan, type ApplyOptions, type ApplyResult } from './apply/apply.js';
export { jailLayout, type JailLayout } from './apply/jail-layout.js';
export { compareWithManifest, readManifest, type Drift, type Manifest, type ManifestEntry } from './apply/manifest.js';
export { HostView } from './host/host-view.js';
export * from './check/index.js';
export * from './syslog/index.js';
export { launchCommand, CHROOT_STEP_CAPABILITIES, type LaunchCommand, type LaunchTools, type ServiceIdentity } from './launch/launch-command.js';
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
  auditProcess,
  runRunningAudit,
  type RunningAuditReport,
  type RunningCheck,
  type RunningExpectation,
} from './audit/running-audit.js';
export * from './trace/index.js';
export * from './compile/index.js';
