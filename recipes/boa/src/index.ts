import { fileURLToPath } from 'node:url';

export { BOA_CONF_DEFAULTS, BOA_VERSIONS, boaConf, type BoaConfOptions, type BoaVersion } from './boa-conf.js';
export { BOA_BUILDS, boaRecipe, type BoaRecipeOptions, type BoaSourceEdit } from './boa-recipe.js';

/** Absolute path of this package's recipe.yaml (Boa 0.94.13 installed as /usr/local/sbin/boa): pass it to `jailwright build`. */
export const recipeFile: string = fileURLToPath(new URL('../recipe.yaml', import.meta.url));

/** The article's patched Boa 0.94.8.3 (`boa -c /var/www -e <jail>`): its jail and configuration, as a variant. */
export const articleRecipeFile: string = fileURLToPath(new URL('../variants/article-0.94.8.3.yaml', import.meta.url));

/** The recipe's name; its jail lives at /srv/jails/boa unless told otherwise. */
export const recipeName = 'boa';

/** The account Boa drops to after its chroot: created by `build`, used by no other process. */
export const serviceUser = 'jw-boa';
