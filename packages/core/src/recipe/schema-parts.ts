import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { jailPathProblem } from './jail-path.js';

/** Pieces every part of the recipe schema shares, so a rule and its message are written once. */

/** An error message for an enum: what is known, and the nearest match to what was written. */
export function oneOf(kind: string, candidates: readonly string[]) {
  return (issue: { input?: unknown }) => {
    const known = `known ${kind}s: ${candidates.join(', ')}`;
    if (typeof issue.input !== 'string') return `${kind} must be a string — ${known}`;
    const suggestion = didYouMean(issue.input, candidates);
    return `unknown ${kind} ${JSON.stringify(issue.input)} — ${known}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}`;
  };
}

/** An absolute, normalized path inside the jail root (or on the host, for `files[].path`). */
export function jailPath(description: string) {
  return z
    .string()
    .superRefine((value, context) => {
      const problem = jailPathProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .meta({ description, pattern: '^/.' });
}

/** A user or group name, or a numeric id. */
export const AccountName = z
  .string()
  .regex(/^([A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+)$/, { error: (issue) => `${JSON.stringify(issue.input)} is not a user or group name (letters, digits, "_", ".", "-") nor a numeric id` });

/** A string holding a JavaScript regular expression (without slashes); it must compile. */
export function regex(description: string) {
  return z
    .string()
    .min(1)
    .superRefine((value, context) => {
      try {
        new RegExp(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a regular expression: ${(error as Error).message}` });
      }
    })
    .meta({ description: `${description} A JavaScript regular expression, without slashes.` });
}
