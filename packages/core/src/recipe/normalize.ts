import type { AuditSettings } from './audit-schema.js';
import type { BuildSettings } from './build-schema.js';
import { normalizeLaunch, type NormalizedLaunch } from './launch-schema.js';
import { ProbeSchema, type Probe } from './probe-schema.js';
import type { Syslog } from './syslog-schema.js';
import type { Device, DirectoryEntry, FileEntry, LinkMode, Preset, Recipe, SymlinkEntry, UserEntry, WriteEntry } from './schema.js';

/** A file entry with its defaults filled: `to` defaults to `path`, modes are numbers. */
export interface NormalizedFileEntry extends Omit<FileEntry, 'to' | 'mode' | 'optional' | 'keepSetuid'> {
  to: string;
  mode?: number;
  optional: boolean;
  keepSetuid: boolean;
}

export interface NormalizedDirectoryEntry extends Omit<DirectoryEntry, 'mode'> {
  mode?: number;
}

export interface NormalizedUserEntry extends Omit<UserEntry, 'create'> {
  create: boolean;
}

export interface NormalizedWriteEntry extends Omit<WriteEntry, 'mode'> {
  mode?: number;
}

export type NormalizedSymlinkEntry = SymlinkEntry;

/** The recipe as downstream code sees it: shorthands expanded, every list present, defaults filled, modes as numbers. */
export interface NormalizedRecipe {
  specVersion: 1;
  name: string;
  description?: string;
  jail: {
    include: Preset[];
    files: NormalizedFileEntry[];
    libraries: string[];
    directories: NormalizedDirectoryEntry[];
    devices: Device[];
    users: NormalizedUserEntry[];
    groups: string[];
    write: NormalizedWriteEntry[];
    symlinks: NormalizedSymlinkEntry[];
    link: LinkMode;
  };
  launch?: NormalizedLaunch;
  /** Health probes with their defaults filled (parseRecipe validates but returns the YAML as written); present only when the recipe has `probes`. */
  probes?: Probe[];
  /** Absent means the default, the relay (see `syslogSettings`). */
  syslog?: Syslog;
  /** Findings the recipe accepts, with reasons; present only when the recipe has `audit`. */
  audit?: AuditSettings;
  /** How `jailwright compile` builds the service from source; present only when the recipe has `build`. */
  build?: BuildSettings;
}

/** "0755" → 0o755. */
export function parseMode(mode: string): number {
  return Number.parseInt(mode, 8);
}

function withMode<T extends { mode?: string }>(entry: T): Omit<T, 'mode'> & { mode?: number } {
  const { mode, ...rest } = entry;
  return mode === undefined ? rest : { ...rest, mode: parseMode(mode) };
}

/** Expands a validated recipe into the one shape downstream code reads. */
export function normalizeRecipe(recipe: Recipe): NormalizedRecipe {
  const { jail } = recipe;
  return {
    specVersion: recipe.specVersion,
    name: recipe.name,
    ...(recipe.description === undefined ? {} : { description: recipe.description }),
    jail: {
      include: [...new Set(jail.include ?? [])],
      files: (jail.files ?? []).map((entry) => {
        const file = typeof entry === 'string' ? { path: entry } : entry;
        return { ...withMode(file), to: file.to ?? file.path, optional: file.optional ?? false, keepSetuid: file.keepSetuid ?? false };
      }),
      libraries: [...(jail.libraries ?? [])],
      directories: (jail.directories ?? []).map((entry) => withMode(typeof entry === 'string' ? { path: entry } : entry)),
      devices: [...new Set(jail.devices ?? [])],
      users: (jail.users ?? []).map((entry) => {
        const user = typeof entry === 'string' ? { name: entry } : entry;
        return { ...user, create: user.create ?? false };
      }),
      groups: [...(jail.groups ?? [])],
      write: (jail.write ?? []).map((entry) => withMode(entry)),
      symlinks: (jail.symlinks ?? []).map((entry) => ({ ...entry })),
      link: jail.link ?? 'copy',
    },
    ...(recipe.launch === undefined ? {} : { launch: normalizeLaunch(recipe.launch) }),
    ...(recipe.syslog === undefined ? {} : { syslog: recipe.syslog }),
    ...(recipe.audit === undefined ? {} : { audit: recipe.audit }),
    ...(recipe.build === undefined ? {} : { build: recipe.build }),
    ...(recipe.probes === undefined ? {} : { probes: recipe.probes.map((probe) => ProbeSchema.parse(probe)) }),
  };
}
