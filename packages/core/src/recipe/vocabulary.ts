/**
 * The recipe format's fixed words and defaults, kept free of zod: the planner reads them, and a build whose
 * recipe the build cache already holds (recipe/recipe-cache.ts) plans without loading the schema at all.
 */
import type { Syslog } from './syslog-schema.js';

/** Presets a recipe can name in `jail.include`. */
export const KNOWN_PRESETS = ['base', 'nss', 'dns', 'timezone'] as const;

/** Device nodes a recipe can ask for in `jail.devices`; major/minor numbers are taken from the host's own nodes. */
export const KNOWN_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

export type Preset = (typeof KNOWN_PRESETS)[number];
export type Device = (typeof KNOWN_DEVICES)[number];

/** The syslog settings used when a recipe has no `syslog:` section. */
export const DEFAULT_SYSLOG: Syslog = { method: 'relay' };
