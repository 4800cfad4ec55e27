import { z } from 'zod';
import { jailPathProblem, symlinkTargetProblem } from './jail-path.js';
import { AccountName, jailPath, oneOf } from './schema-parts.js';
import { AuditSchema } from './audit-schema.js';
import { BuildSchema } from './build-schema.js';
import { LaunchSchema } from './launch-schema.js';
import { SyslogSchema } from './syslog-schema.js';
import { ProbeSchema } from './probe-schema.js';
import { OptionsSchema, SELECTOR_NAME } from './options-schema.js';
import { KNOWN_DEVICES, KNOWN_PRESETS } from './vocabulary.js';

/** Recipe format versions this engine reads. */
export const SPEC_VERSIONS = [1] as const;

/** Where the published JSON Schema lives; recipes name it on their first line for editor completion. */
export const RECIPE_SCHEMA_URL = 'https://unpkg.com/@jailwright/core/schema/recipe.schema.json';

export { KNOWN_DEVICES, KNOWN_PRESETS, type Device, type Preset } from './vocabulary.js';

const MODE_IS_NUMBER =
  'mode must be a quoted octal string such as "0755" (an unquoted 0755 is read by YAML 1.2 as the decimal number 755)';

const Mode = z
  .string({ error: (issue) => (typeof issue.input === 'number' ? MODE_IS_NUMBER : 'mode must be a quoted octal string such as "0755"') })
  .regex(/^[0-7]{3,4}$/, {
    error: (issue) => `mode ${JSON.stringify(issue.input)} is not an octal mode: write 3 or 4 octal digits such as "0644", "0755" or "1777"`,
  })
  .meta({ title: 'Mode', description: 'Permission bits as a quoted octal string, e.g. "0755" or "1777". Quote it: YAML 1.2 reads an unquoted 0755 as the decimal 755.' });

function owner(kind: 'user' | 'group') {
  return AccountName.meta({ description: `Owning ${kind} inside the jail: a name (looked up on the host) or a numeric id. Default: root.` });
}

const FileEntry = z
  .strictObject({
    path: jailPath('Absolute path of the file on the host. Its ELF dependencies (shared libraries, program interpreter) come with it.'),
    to: jailPath('Absolute path inside the jail. Default: the same as `path`.').optional(),
    mode: Mode.optional(),
    owner: owner('user').optional(),
    group: owner('group').optional(),
    optional: z.boolean().meta({ description: 'Skip the file quietly when it is missing on the host.' }).optional(),
    keepSetuid: z
      .boolean()
      .meta({ description: 'Keep the setuid/setgid bits (they are stripped by default). Needs `reason`.' })
      .optional(),
    reason: z.string().min(1).meta({ description: 'Why this file must keep its setuid/setgid bits; required when `keepSetuid` is true.' }).optional(),
  })
  .superRefine((entry, context) => {
    if (entry.keepSetuid === true && !entry.reason) {
      context.addIssue({
        code: 'custom',
        path: ['keepSetuid'],
        message: 'keepSetuid: true needs a `reason` saying why this file must stay setuid/setgid inside the jail',
      });
    }
  })
  .meta({ title: 'File', description: 'A host file copied into the jail, with its ELF closure.' });

const DirectoryEntry = z
  .strictObject({
    path: jailPath('Absolute path of the directory inside the jail.'),
    mode: Mode.optional(),
    owner: owner('user').optional(),
    group: owner('group').optional(),
  })
  .meta({ title: 'Directory', description: 'A directory created inside the jail.' });

const UserEntry = z
  .strictObject({
    name: AccountName.meta({ description: 'User name; its entry (without password hash) goes into the jail /etc/passwd.' }),
    create: z
      .boolean()
      .meta({ description: 'Create the user on the host as a system account with no login shell when it is missing.' })
      .optional(),
    group: owner('group').meta({ description: 'Primary group of the user (name or numeric id).' }).optional(),
    home: jailPath('Home directory recorded in the jail /etc/passwd.').optional(),
  })
  .meta({ title: 'User', description: 'A user the service runs as or needs to look up.' });

const WriteEntry = z
  .strictObject({
    path: jailPath('Absolute path of the generated file inside the jail.'),
    content: z.string().meta({ description: 'The file contents, written as is.' }),
    mode: Mode.optional(),
    owner: owner('user').optional(),
    group: owner('group').optional(),
  })
  .meta({ title: 'Generated file', description: 'A file generated into the jail from the recipe.' });

const SymlinkEntry = z
  .strictObject({
    path: jailPath('Absolute path of the symbolic link inside the jail.'),
    target: z
      .string()
      .meta({ description: 'What the link points at, relative to its directory or absolute within the jail; it must not climb above the jail root.' }),
  })
  .superRefine((entry, context) => {
    if (jailPathProblem(entry.path)) return;
    const problem = symlinkTargetProblem(entry.path, entry.target);
    if (problem) context.addIssue({ code: 'custom', path: ['target'], message: problem });
  })
  .meta({ title: 'Symbolic link', description: 'A symbolic link created inside the jail.' });

const Library = z
  .string()
  .superRefine((value, context) => {
    if (value.startsWith('/')) {
      const problem = jailPathProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    } else if (!/^[A-Za-z0-9_.+-]+\.so(\.[A-Za-z0-9_.+-]+)?$/.test(value)) {
      context.addIssue({
        code: 'custom',
        message: `library ${JSON.stringify(value)} is neither a soname (such as "libnss_dns.so.2") nor an absolute path`,
      });
    }
  })
  .meta({ description: 'A library loaded with dlopen: a soname found through ld.so.cache (e.g. "libnss_dns.so.2") or an absolute host path.' });

const Jail = z
  .strictObject({
    include: z
      .array(z.enum(KNOWN_PRESETS, { error: oneOf('preset', KNOWN_PRESETS) }))
      .meta({ title: 'Presets', description: `Presets merged into this jail: ${KNOWN_PRESETS.join(', ')}.` })
      .optional(),
    files: z
      .array(z.union([jailPath('Absolute host path, copied to the same path inside the jail.'), FileEntry]))
      .meta({ title: 'Files', description: 'Host files copied into the jail with their ELF closure: a path, or an entry with options.' })
      .optional(),
    libraries: z
      .array(Library)
      .meta({ title: 'Libraries', description: 'Libraries the service loads with dlopen (NSS modules, gconv, engines, modules), which ELF reading cannot find.' })
      .optional(),
    directories: z
      .array(z.union([jailPath('Absolute path of a directory created inside the jail.'), DirectoryEntry]))
      .meta({ title: 'Directories', description: 'Directories created inside the jail: a path, or an entry with mode and owner.' })
      .optional(),
    devices: z
      .array(z.enum(KNOWN_DEVICES, { error: oneOf('device', KNOWN_DEVICES) }))
      .meta({ title: 'Devices', description: `Device nodes created in the jail /dev with the host's major/minor numbers: ${KNOWN_DEVICES.join(', ')}.` })
      .optional(),
    users: z
      .array(z.union([AccountName.meta({ description: 'A host user name.' }), UserEntry]))
      .meta({ title: 'Users', description: 'Users written into the jail /etc/passwd (no password hashes): a name, or an entry.' })
      .optional(),
    groups: z
      .array(AccountName)
      .meta({ title: 'Groups', description: 'Groups written into the jail /etc/group.' })
      .optional(),
    write: z.array(WriteEntry).meta({ title: 'Generated files', description: 'Files generated into the jail.' }).optional(),
    symlinks: z.array(SymlinkEntry).meta({ title: 'Symbolic links', description: 'Symbolic links created inside the jail.' }).optional(),
    link: z
      .enum(['copy', 'hard'], { error: oneOf('link mode', ['copy', 'hard']) })
      .meta({ title: 'Link mode', description: 'How host files enter the jail: "copy" (default), or "hard" to hard-link them when the jail is on the same filesystem.' })
      .optional(),
  })
  .meta({ title: 'Jail', description: 'What goes inside the jail.' });

const Probes = z
  .array(ProbeSchema)
  .meta({ title: 'Probes', description: 'Health checks `jailwright check` runs against the jailed service: http, dns, smtp, tcp, process, log.' });

const Variant = z
  .strictObject({
    description: z.string().min(1).meta({ description: 'One line saying how this variant jails the service.' }),
    jail: Jail.optional(),
    launch: LaunchSchema.optional(),
    syslog: SyslogSchema.optional(),
    probes: Probes.optional(),
    audit: AuditSchema.optional(),
  })
  .meta({
    title: 'Variant',
    description: 'Another way to jail the same service (`jailwright build --variant <name>`): each section it holds replaces the top-level one as a whole.',
  });

/** The recipe format, specVersion 1: the single source of truth for the TypeScript types and the published JSON Schema. */
export const RecipeSchema = z
  .strictObject({
    specVersion: z
      .literal(1, {
        error: (issue) =>
          `specVersion ${JSON.stringify(issue.input)} is not supported — this engine reads specVersion ${SPEC_VERSIONS.join(', ')}` +
          (issue.input === '1' ? ' (write it as a number: specVersion: 1)' : '; upgrade @jailwright/core or use a recipe written for it'),
      })
      .meta({ title: 'Spec version', description: 'Version of the recipe format. This engine reads 1.' }),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, {
        error: (issue) => `name ${JSON.stringify(issue.input)} must be lower-case letters, digits and "-", starting with a letter or digit`,
      })
      .meta({ title: 'Name', description: 'Name of the jailed service, e.g. "bind": lower-case letters, digits and "-".' }),
    description: z.string().meta({ title: 'Description', description: 'One line saying what this recipe jails.' }).optional(),
    jail: Jail,
    launch: LaunchSchema.optional(),
    syslog: SyslogSchema.optional(),
    probes: Probes.optional(),
    audit: AuditSchema.optional(),
    build: BuildSchema.optional(),
    options: OptionsSchema.optional(),
    variants: z
      .record(
        z.string().regex(SELECTOR_NAME, { error: (issue) => `variant name ${JSON.stringify(issue.input)} must start with a letter and hold only letters, digits, "_" and "-"` }),
        Variant,
      )
      .meta({ title: 'Variants', description: 'Other ways to jail the service, by name; the top level is the default.' })
      .optional(),
  })
  .meta({
    title: 'jailwright recipe',
    description:
      'What one Internet service needs inside its chroot jail. Point editors at this schema with a first line ' +
      `"# yaml-language-server: $schema=${RECIPE_SCHEMA_URL}" (or a relative path such as ./node_modules/@jailwright/core/schema/recipe.schema.json).`,
  });

export type Recipe = z.infer<typeof RecipeSchema>;
export type RecipeJail = z.infer<typeof Jail>;
export type FileEntry = z.infer<typeof FileEntry>;
export type DirectoryEntry = z.infer<typeof DirectoryEntry>;
export type UserEntry = z.infer<typeof UserEntry>;
export type WriteEntry = z.infer<typeof WriteEntry>;
export type SymlinkEntry = z.infer<typeof SymlinkEntry>;
export type LinkMode = NonNullable<RecipeJail['link']>;
