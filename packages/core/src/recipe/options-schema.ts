import { z } from 'zod';
import { oneOf, regex } from './schema-parts.js';

/** Kinds of value a recipe option takes. */
export const OPTION_TYPES = ['port', 'string', 'text'] as const;

export type OptionType = (typeof OPTION_TYPES)[number];

/** `{{name}}` in a recipe string: replaced by the option's value. */
export const OPTION_PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/** Names of options and variants: what a user types after --option and --variant. */
export const SELECTOR_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** One declared option: what it means, what it takes, and what it is when nobody says. */
export const OptionDeclarationSchema = z
  .strictObject({
    description: z.string().min(1).meta({ description: 'What the option sets; shown when a value is refused.' }),
    type: z
      .enum(OPTION_TYPES, { error: oneOf('option type', OPTION_TYPES) })
      .meta({
        description:
          '"port" (a TCP/UDP port 1-65535; a string that is only `{{name}}` becomes the number), "string" (one line), or "text" (several lines, e.g. zone records). Default: string.',
      })
      .optional(),
    pattern: regex('A pattern every value must match, e.g. for a DNS name; anchor it with ^ and $.').optional(),
    default: z
      .union([z.string(), z.number()])
      .meta({ description: 'The value when the user gives none. It may name other options as `{{other}}`; a value the user gives is used as written.' }),
  })
  .meta({ title: 'Option', description: 'A value the user may set with `jailwright build --option name=value`, or with `with:` in a recipe that `extends` this one.' });

export type OptionDeclaration = z.infer<typeof OptionDeclarationSchema>;

/** The recipe's `options:` section. */
export const OptionsSchema = z
  .record(
    z.string().regex(SELECTOR_NAME, { error: (issue) => `option name ${JSON.stringify(issue.input)} must start with a letter and hold only letters, digits, "_" and "-"` }),
    OptionDeclarationSchema,
  )
  .meta({
    title: 'Options',
    description: 'Values the user may choose (a port, a zone, records): `{{name}}` anywhere in a string of the recipe becomes the value.',
  });

