export { EXPORT_FORMATS, exportJail, type ExportFormat, type ExportOptions, type ExportOutcome } from './export-jail.js';
export { resolveExportTarget, type ExportTarget } from './export-target.js';
export { exposedPorts, writeOciLayout, type OciExport } from './oci-layout.js';
export { MIRRORED_IN_START, systemdUnit } from './systemd-unit.js';
export { sysvScript, type EnginePaths } from './sysv-script.js';
export { sourceDateEpoch, tarTree, type TarOptions, type TarSkipped, type TarStream } from './tar-writer.js';
