import { fileURLToPath } from 'node:url';

/** Absolute path of this package's recipe.yaml: pass it to `jailwright build` or `buildJail({ recipe })`. */
export const recipeFile: string = fileURLToPath(new URL('../recipe.yaml', import.meta.url));

/** The recipe's name; its jail lives at /srv/jails/bind unless told otherwise. */
export const recipeName = 'bind';

/** The account named runs as after it drops root: created by `build`, used by no other process. */
export const serviceUser = 'jw-named';
