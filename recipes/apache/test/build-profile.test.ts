import { readFileSync } from 'node:fs';
import { normalizeRecipe, parseRecipe, planCompile } from '@jailwright/core';
import { describe, expect, it } from 'vitest';
import { recipeFile } from '../src/index.js';

// The recipe as written: loadRecipe would apply a compile record of this machine.
const recipe = normalizeRecipe(parseRecipe(readFileSync(recipeFile, 'utf8'), recipeFile));
const build = recipe.build!;

describe('the apache build profile: configure --prefix=/opt/apache plus the recipe flags', () => {
  const plan = planCompile(build, { destdir: '/stage', jobs: 2, os: 'linux' });

  it("is the article's configure --prefix=/opt/apache, with the binary at /opt/apache/bin/httpd", () => {
    expect(plan.prefix).toBe('/opt/apache');
    expect(plan.steps.map((step) => step.name)).toEqual(['configure', 'make', 'install']);
    expect(plan.steps[0]!.argv.slice(0, 2)).toEqual(['./configure', '--prefix=/opt/apache']);
    expect(plan.replaces['/usr/sbin/apache2']).toBe('/opt/apache/bin/httpd');
  });

  it('builds every module the generated config loads, and builds in the ones Debian builds in (log_config, unixd)', () => {
    const loaded = recipe.jail.write.flatMap((file) => [...file.content.matchAll(/^\s*LoadModule\s+\S+\s+(\S+)/gm)].map((match) => match[1]!));
    expect(loaded.length).toBeGreaterThan(0);
    for (const module of loaded) expect(Object.keys(plan.replaces), module).toContain(module);
    const configure = plan.steps[0]!.argv;
    expect(configure).toContain('--enable-mods-static=log_config unixd');
    const shared = configure.find((argument) => argument.startsWith('--enable-mods-shared='))!.split('=')[1]!.split(' ');
    const mpm = configure.find((argument) => argument.startsWith('--enable-mpms-shared='))!.split('=')[1]!;
    const built = [...shared.map((name) => `mod_${name}.so`), `mod_mpm_${mpm}.so`];
    expect(loaded.map((module) => module.split('/').at(-1)).sort()).toEqual(built.sort());
  });

  it("knows the checksum of Debian bookworm's httpd source (the upstream tarball under both names)", () => {
    expect(build.releases).toContainEqual({
      version: '2.4.68',
      sha256: 'ed9a9d4500fb48bb28eaffb3ba71d06ccf86d498fa13ab9f781da010cc488498',
      files: ['httpd-2.4.68.tar.gz', 'apache2_2.4.68.orig.tar.gz'],
    });
  });
});
