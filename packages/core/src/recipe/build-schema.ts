import { z } from 'zod';
import { jailPath, oneOf } from './schema-parts.js';

import { BUILD_OPERATING_SYSTEMS, type BuildOperatingSystem } from '../compile/operating-systems.js';

export { BUILD_OPERATING_SYSTEMS, type BuildOperatingSystem };

/** Placeholders a profile's arguments, variables and file paths may use. */
export const BUILD_PLACEHOLDERS = ['{prefix}', '{destdir}', '{jobs}', '{os}'] as const;

const Sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: (issue) => `sha256 ${JSON.stringify(issue.input)} is not 64 lower-case hex digits` });

const RelativePath = z
  .string()
  .min(1)
  .superRefine((value, context) => {
    if (value.startsWith('/') || value.split('/').includes('..') || value.includes('\0')) {
      context.addIssue({ code: 'custom', message: `path ${JSON.stringify(value)} must be relative to the source tree and must not contain ".."` });
    }
  });

const Release = z
  .strictObject({
    version: z.string().min(1).meta({ description: 'The release, e.g. "9.18.49".' }),
    sha256: Sha256.meta({ description: 'sha256 of the release tarball; `jailwright compile` refuses a tarball of this release whose bytes differ.' }),
    files: z
      .array(z.string().regex(/^[^/]+$/, { error: 'a tarball name has no "/"' }))
      .min(1)
      .meta({ description: 'Names the tarball of this release is published under (upstream and distribution names).' }),
  })
  .meta({ title: 'Release', description: 'A source release whose checksum the recipe knows.' });

const SourceEdit = z
  .strictObject({
    file: RelativePath.meta({ description: 'File to edit, relative to the top of the source tree (e.g. "src/compat.h").' }),
    find: z.string().min(1).meta({ description: 'Exact text to find (not a pattern). Every occurrence is replaced.' }),
    replace: z.string().meta({ description: 'Text written in its place. An edit whose replacement is already in the file counts as applied and is skipped.' }),
    reason: z.string().min(1).meta({ description: 'Why the source needs this edit; printed in the build log next to the edit.' }),
  })
  .superRefine((edit, context) => {
    if (edit.find === edit.replace) context.addIssue({ code: 'custom', path: ['replace'], message: 'replace is the same text as find: the edit would change nothing' });
  })
  .meta({ title: 'Source edit', description: 'A literal find-and-replace applied to the unpacked source before it is built, e.g. a missing #include.' });

const Variables = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a make variable name is letters, digits and "_"' }), z.string());

const SourceFile = z
  .strictObject({
    path: RelativePath.meta({ description: 'Path inside the source tree; may use {os}.' }),
    content: z.string().meta({ description: 'The file contents, written as is.' }).optional(),
    makeSet: Variables.meta({
      description: "Variables written one per line as 'NAME=value' (the BIND 8 port/<os>/Makefile.set format), in the order given.",
    }).optional(),
    os: z
      .array(z.enum(BUILD_OPERATING_SYSTEMS, { error: oneOf('operating system', BUILD_OPERATING_SYSTEMS) }))
      .meta({ description: 'Write this file only when compiling for one of these systems (default: always).' })
      .optional(),
  })
  .superRefine((entry, context) => {
    if ((entry.content === undefined) === (entry.makeSet === undefined)) {
      context.addIssue({ code: 'custom', path: ['content'], message: 'a source file has exactly one of `content` or `makeSet`' });
    }
  })
  .meta({ title: 'Source file', description: 'A file the profile writes into the source tree before building.' });

const Step = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: 'a step name is lower-case letters, digits and "-"' }).meta({ description: 'Shown as the phase, e.g. "configure".' }),
    run: z.array(z.string()).min(1).meta({ description: 'Program and arguments, run in the build directory without a shell; placeholders expand.' }),
    os: z
      .array(z.enum(BUILD_OPERATING_SYSTEMS, { error: oneOf('operating system', BUILD_OPERATING_SYSTEMS) }))
      .meta({ description: 'Run this step only when compiling for one of these systems (default: always).' })
      .optional(),
  })
  .meta({ title: 'Step', description: 'One build step.' });

const Profile = z
  .strictObject({
    description: z.string().meta({ description: 'One line saying what this profile builds.' }).optional(),
    prefix: jailPath('Where the built program is installed on the host (e.g. /usr/local/named); `--prefix` overrides it.'),
    directory: RelativePath.meta({ description: 'Subdirectory of the source tree the steps run in (default: the top).' }).optional(),
    edits: z
      .array(SourceEdit)
      .meta({
        description:
          'Fixes applied to the source before it is built (old code on new compilers and 64-bit systems), in order, each reported in the build log. ' +
          'An edit whose text is not in the file fails the build: the source is not the version the recipe was written for.',
      })
      .optional(),
    files: z.array(SourceFile).meta({ description: 'Files written into the source tree before the first step.' }).optional(),
    configure: z
      .array(z.string())
      .meta({ description: 'Arguments to ./configure after --prefix={prefix}. With `configure`, the steps are configure, make -j{jobs}, make install DESTDIR={destdir}.' })
      .optional(),
    make: Variables.meta({ description: 'Variables given to every make of the standard steps (NAME=value on the command line).' }).optional(),
    steps: z
      .array(Step)
      .meta({ description: 'The build, when it is not configure/make/make install. Install into {destdir}{prefix}: the engine moves it to {prefix}.' })
      .optional(),
    replaces: z
      .record(
        jailPath('A host path the recipe copies into the jail (jail.files) or launches (launch.command).'),
        RelativePath.meta({ description: 'The built file, relative to the prefix, e.g. "sbin/named".' }),
      )
      .meta({
        description:
          'Which of the recipe\'s host files the built ones stand in for. After `jailwright compile`, `build` copies the built file to the same jail path, and a self-chrooting launch runs the built program.',
      })
      .optional(),
  })
  .superRefine((profile, context) => {
    if ((profile.configure === undefined) === (profile.steps === undefined)) {
      context.addIssue({ code: 'custom', path: ['steps'], message: 'a build profile has exactly one of `configure` (the standard configure/make/install) or `steps`' });
    }
  })
  .meta({ title: 'Build profile', description: 'How to build the service from source.' });

/** The `build:` section: releases whose checksums the recipe knows and the profiles `jailwright compile` runs. */
export const BuildSchema = z
  .strictObject({
    releases: z.array(Release).meta({ description: 'Releases whose tarball checksums are known.' }).optional(),
    defaultProfile: z.string().meta({ description: 'The profile `jailwright compile` uses without --profile (default: "default").' }).optional(),
    profiles: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'a profile name is lower-case letters, digits and "-"' }), Profile)
      .meta({ description: 'Build profiles by name.' }),
  })
  .superRefine((build, context) => {
    const chosen = build.defaultProfile ?? 'default';
    if (!(chosen in build.profiles)) {
      context.addIssue({
        code: 'custom',
        path: build.defaultProfile === undefined ? ['profiles'] : ['defaultProfile'],
        message: `there is no profile ${JSON.stringify(chosen)}${build.defaultProfile === undefined ? ' (the default when defaultProfile is not set)' : ''} — profiles: ${Object.keys(build.profiles).join(', ') || 'none'}`,
      });
    }
  })
  .meta({ title: 'Build from source', description: 'How `jailwright compile` builds the service from a source tarball or tree.' });

export type BuildSettings = z.infer<typeof BuildSchema>;
export type BuildProfile = z.infer<typeof Profile>;
export type BuildRelease = z.infer<typeof Release>;
export type BuildSourceFile = z.infer<typeof SourceFile>;
export type BuildStep = z.infer<typeof Step>;
export type SourceEdit = z.infer<typeof SourceEdit>;
