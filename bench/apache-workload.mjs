// The Apache workload the benchmarks share: /usr/sbin/apache2 and every loadable module, as a recipe.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const APACHE_BINARY = '/usr/sbin/apache2';
export const APACHE_MODULES = '/usr/lib/apache2/modules';

/** The same file list for every tool: the apache2 binary and every loadable module (*.so). */
export function apacheFiles() {
  const modules = readdirSync(APACHE_MODULES)
    .filter((name) => name.endsWith('.so'))
    .sort()
    .map((name) => join(APACHE_MODULES, name))
    .filter((path) => lstatSync(path).isFile());
  return [APACHE_BINARY, ...modules];
}

/** A recipe.yaml holding `files`, with the presets in `include`. */
export function recipeYaml(name, files, include = []) {
  const lines = ['specVersion: 1', `name: ${name}`, 'jail:'];
  if (include.length > 0) lines.push(`  include: [${include.join(', ')}]`);
  lines.push('  files:', ...files.map((file) => `    - ${file}`));
  return `${lines.join('\n')}\n`;
}
