import { z } from 'zod';

const SourcePath = z
  .string()
  .min(1)
  .superRefine((value, context) => {
    if (value.startsWith('/')) context.addIssue({ code: 'custom', message: `file ${JSON.stringify(value)} must be relative to the source tree, e.g. "src/compat.h"` });
    else if (value.split('/').includes('..')) context.addIssue({ code: 'custom', message: `file ${JSON.stringify(value)} must stay inside the source tree: no ".." components` });
    else if (value.includes('\0')) context.addIssue({ code: 'custom', message: `file ${JSON.stringify(value)} contains a NUL character` });
  })
  .meta({ description: 'File to edit, relative to the top of the source tree (e.g. "src/compat.h").' });

const SourceEdit = z
  .strictObject({
    file: SourcePath,
    find: z.string().min(1).meta({ description: 'Exact text to find (not a pattern). Every occurrence is replaced.' }),
    replace: z.string().meta({ description: 'Text written in its place. An edit whose replacement is already in the file counts as applied and is skipped.' }),
    reason: z.string().min(1).meta({ description: 'Why the source needs this edit; printed in the build log next to the edit.' }),
  })
  .superRefine((edit, context) => {
    if (edit.find === edit.replace) context.addIssue({ code: 'custom', path: ['replace'], message: 'replace is the same text as find: the edit would change nothing' });
  })
  .meta({ title: 'Source edit', description: 'A literal find-and-replace applied to the unpacked source before it is built, e.g. a missing #include.' });

/** The recipe's `build:` section: how `jailwright compile` turns a source tarball or tree into the service's binaries. */
export const BuildSchema = z
  .strictObject({
    edits: z
      .array(SourceEdit)
      .meta({
        title: 'Source edits',
        description:
          'Fixes applied to the source before it is built (for old code on new compilers and 64-bit systems), in order, each reported in the build log. ' +
          'An edit whose text is not in the file fails the build: the source is not the version the recipe was written for.',
      })
      .optional(),
  })
  .meta({ title: 'Build', description: 'How the service is built from source (`jailwright compile`).' });

export type Build = z.infer<typeof BuildSchema>;
export type SourceEdit = z.infer<typeof SourceEdit>;
