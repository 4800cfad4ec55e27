import { fileURLToPath } from 'node:url';

export { SMTPD_BUILD_DEFAULTS, SMTPD_CFLAGS, smtpdMakeArguments, smtpdMakeVariables, type SmtpdBuildOptions } from './makefile-variables.js';
export { SMTPD_EDITS, smtpdRecipe, type SmtpdRecipeOptions, type SmtpdSourceEdit } from './smtpd-recipe.js';

/** Absolute path of this package's recipe.yaml (smtpd and smtpfwdd installed in /usr/local/sbin): pass it to `jailwright build`. */
export const recipeFile: string = fileURLToPath(new URL('../recipe.yaml', import.meta.url));

/** The recipe's name; its jail lives at /srv/jails/smtpd unless told otherwise. */
export const recipeName = 'smtpd';

/** The account smtpd and smtpfwdd drop to: created by `build`, used by no other process. */
export const serviceUser = 'jw-smtpd';
