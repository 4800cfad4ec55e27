import type { JailAccounts } from './jail-accounts.js';
import type { JailEntry } from './walk-jail.js';

/** What the first look at a regular file found. */
export interface FileContent {
  elf: boolean;
  /** The whole content of a small non-ELF file (for secrets); absent for ELF and large files. */
  text?: Buffer;
}

/** A character device the jail may hold. */
export interface SafeDevice {
  name: string;
  major: number;
  minor: number;
}

/** Everything the per-path checks look at, gathered once. */
export interface AuditContext {
  /** The real directory of the jail on the host. */
  directory: string;
  entries: JailEntry[];
  accounts: JailAccounts;
  /** Content facts of regular files, by jail path. */
  contents: Map<string, FileContent>;
  safeDevices: SafeDevice[];
  expectedSockets: ReadonlySet<string>;
  /** Jail paths root (or the loader, on root's behalf) later executes or reads, and the directories holding them. */
  trusted: ReadonlySet<string>;
}
