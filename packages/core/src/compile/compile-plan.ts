import { posix } from 'node:path';
import { JailwrightError } from '../errors.js';
import type { BuildOperatingSystem, BuildProfile, BuildSettings, SourceEdit } from '../recipe/build-schema.js';

/** A file the build writes into the source tree, its placeholders expanded. */
export interface CompileFile {
  /** Relative to the source tree. */
  path: string;
  content: string;
}

/** One command of the build, its placeholders expanded. */
export interface CompileStep {
  name: string;
  argv: string[];
  /** Relative to the source tree ("." for the top). */
  directory: string;
}

/** What `jailwright compile` will do with a profile: pure data, printable with --dry-run. */
export interface CompilePlan {
  profile: string;
  prefix: string;
  /** Where the steps install: the prefix lives at <destdir><prefix> until it is moved into place. */
  destdir: string;
  os: BuildOperatingSystem;
  /** Literal source edits applied before the files are written and the steps run. */
  edits: SourceEdit[];
  files: CompileFile[];
  steps: CompileStep[];
  /** Host paths of the recipe → the built files standing in for them. */
  replaces: Record<string, string>;
}

export interface CompilePlanOptions {
  profile?: string | undefined;
  prefix?: string | undefined;
  destdir: string;
  jobs: number;
  os: BuildOperatingSystem;
}

/** The profile a compile uses: `--profile`, else the recipe's defaultProfile, else "default". */
export function chooseProfile(build: BuildSettings, name: string | undefined): [string, BuildProfile] {
  const chosen = name ?? build.defaultProfile ?? 'default';
  const profile = build.profiles[chosen];
  if (!profile) {
    throw new JailwrightError(`the recipe has no build profile ${JSON.stringify(chosen)}`, {
      hint: `profiles: ${Object.keys(build.profiles).join(', ')}`,
    });
  }
  return [chosen, profile];
}

/** Lines of a BIND 8 Makefile.set: each 'NAME=value' in single quotes, in the order given. */
export function formatMakeSet(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([name, value]) => `'${name}=${value}'\n`)
    .join('');
}

/** Expands a profile into the files and commands of one build. */
export function planCompile(build: BuildSettings, options: CompilePlanOptions): CompilePlan {
  const [name, profile] = chooseProfile(build, options.profile);
  const prefix = posix.normalize(options.prefix ?? profile.prefix);
  if (!prefix.startsWith('/') || prefix === '/') throw new JailwrightError(`prefix ${JSON.stringify(prefix)} must be an absolute directory other than /`);
  const expand = (text: string) =>
    text.replaceAll('{prefix}', prefix).replaceAll('{destdir}', options.destdir).replaceAll('{jobs}', String(options.jobs)).replaceAll('{os}', options.os);
  const forThisOs = (entry: { os?: BuildOperatingSystem[] | undefined }) => entry.os === undefined || entry.os.includes(options.os);
  const directory = profile.directory ?? '.';
  const makeVariables = Object.entries(profile.make ?? {}).map(([variable, value]) => `${variable}=${expand(value)}`);
  const steps: CompileStep[] = profile.configure
    ? [
        { name: 'configure', argv: ['./configure', `--prefix=${prefix}`, ...profile.configure.map(expand)], directory },
        { name: 'make', argv: ['make', `-j${options.jobs}`, ...makeVariables], directory },
        { name: 'install', argv: ['make', 'install', `DESTDIR=${options.destdir}`, ...makeVariables], directory },
      ]
    : (profile.steps ?? []).filter(forThisOs).map((step) => ({ name: step.name, argv: step.run.map(expand), directory }));
  const files = (profile.files ?? []).filter(forThisOs).map((file) => ({
    path: expand(file.path),
    content: file.makeSet ? formatMakeSet(Object.fromEntries(Object.entries(file.makeSet).map(([key, value]) => [key, expand(value)]))) : (file.content ?? ''),
  }));
  const replaces = Object.fromEntries(Object.entries(profile.replaces ?? {}).map(([host, built]) => [host, posix.join(prefix, built)]));
  return { profile: name, prefix, destdir: options.destdir, os: options.os, edits: [...(profile.edits ?? [])], files, steps, replaces };
}
