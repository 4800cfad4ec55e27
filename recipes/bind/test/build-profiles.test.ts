import { readFileSync } from 'node:fs';
import { normalizeRecipe, parseRecipe, planCompile } from '@jailwright/core';
import { describe, expect, it } from 'vitest';
import { recipeFile } from '../src/index.js';

/**
 * The article's Solaris Makefile.set for BIND 8.2.3, line for line as printed ("Jailed Internet Services",
 * the BIND section). BIND 8 sources are not available here, so the bind8 profile is proven by the text it
 * writes, not by a build.
 */
const ARTICLE_SOLARIS_MAKEFILE_SET = `'CC=gcc'
'CDEBUG=-O2'
'DESTBIN=/usr/local/named/bin'
'DESTSBIN=/usr/local/named/sbin'
'DESTEXEC=/usr/local/named/sbin'
'DESTMAN=/usr/local/named/share/man'
'DESTHELP=/usr/local/named/lib'
'DESTETC=/usr/local/named/etc'
'DESTRUN=/var/named'
'LDS=:'
'AR=/usr/ccs/bin/ar cru'
'LEX=/usr/ccs/bin/lex'
'YACC=/usr/ccs/bin/yacc -d'
'SYSLIBS=-ll -lnsl -lsocket'
'INSTALL=/usr/ucb/install'
'MANDIR=man'
'MANROFF=man'
'CATEXT=$$N'
'PS=ps -p'
'RANLIB=/usr/ccs/bin/ranlib'
`;

// The recipe as written: loadRecipe would apply a compile record of this machine.
const recipe = normalizeRecipe(parseRecipe(readFileSync(recipeFile, 'utf8'), recipeFile));
const build = recipe.build!;

const names = (text: string) => text.split('\n').filter(Boolean).map((line) => line.slice(1, line.indexOf('=')));
const value = (text: string, name: string) => new RegExp(`^'${name}=(.*)'$`, 'm').exec(text)?.[1];

describe('the bind8 build profile: the article BIND 8.2.3 Makefile.set', () => {
  it('writes the article values to port/solaris/Makefile.set for Solaris, then make and make install', () => {
    const plan = planCompile(build, { profile: 'bind8', destdir: '/stage', jobs: 2, os: 'solaris' });
    expect(plan.files).toEqual([{ path: 'port/solaris/Makefile.set', content: ARTICLE_SOLARIS_MAKEFILE_SET }]);
    expect(plan.steps.map((step) => step.argv.join(' '))).toEqual(['make -j2', 'make install DESTDIR=/stage']);
    expect(plan.replaces).toEqual({ '/usr/sbin/named': '/usr/local/named/sbin/named' });
  });

  it('writes port/linux/Makefile.set for Linux: the same variables in the same order, the same install places, GNU tools', () => {
    const plan = planCompile(build, { profile: 'bind8', destdir: '/stage', jobs: 2, os: 'linux' });
    expect(plan.files.map((file) => file.path)).toEqual(['port/linux/Makefile.set']);
    const linux = plan.files[0]!.content;
    expect(names(linux)).toEqual(names(ARTICLE_SOLARIS_MAKEFILE_SET));
    for (const name of ['DESTBIN', 'DESTSBIN', 'DESTEXEC', 'DESTMAN', 'DESTHELP', 'DESTETC', 'DESTRUN', 'CATEXT', 'MANDIR']) {
      expect(value(linux, name), name).toBe(value(ARTICLE_SOLARIS_MAKEFILE_SET, name));
    }
    expect(linux).not.toContain('/usr/ccs/');
    expect(linux).not.toContain('/usr/ucb/');
    expect(linux).not.toContain('-lsocket');
  });

  it('--prefix moves every DEST directory of the install, but not the run directory', () => {
    const plan = planCompile(build, { profile: 'bind8', prefix: '/opt/named', destdir: '/stage', jobs: 1, os: 'solaris' });
    const text = plan.files[0]!.content;
    expect(value(text, 'DESTSBIN')).toBe('/opt/named/sbin');
    expect(value(text, 'DESTRUN')).toBe('/var/named');
  });
});

describe('the default build profile: BIND 9 with configure', () => {
  it('installs under /usr/local/named like the article, building the libraries and named only', () => {
    const plan = planCompile(build, { destdir: '/stage', jobs: 2, os: 'linux' });
    expect(plan.profile).toBe('default');
    expect(plan.prefix).toBe('/usr/local/named');
    expect(plan.steps[0]!.argv.slice(0, 2)).toEqual(['./configure', '--prefix=/usr/local/named']);
    expect(plan.steps[0]!.argv).toContain('--disable-doh');
    expect(plan.steps.map((step) => step.argv.join(' ')).slice(1)).toEqual([
      'make bind.keys.h',
      'make -j2 -C lib',
      'make -j2 -C bin/named',
      'make -C lib install DESTDIR=/stage',
      'make -C bin/named install DESTDIR=/stage',
    ]);
    expect(plan.replaces).toEqual({ '/usr/sbin/named': '/usr/local/named/sbin/named' });
  });

  it("replaces only files the recipe jails or launches", () => {
    const used = new Set([...recipe.jail.files.map((file) => file.path), recipe.launch?.command[0]]);
    for (const profile of Object.values(build.profiles)) for (const host of Object.keys(profile.replaces ?? {})) expect(used, host).toContain(host);
  });

  it("knows the checksum of Debian bookworm's BIND source (the upstream tarball under both names)", () => {
    expect(build.releases).toContainEqual({
      version: '9.18.49',
      sha256: 'c43ce4548ebed788cd9df63658a7de105ceafba43fcd63fa352b1093e525cd24',
      files: ['bind-9.18.49.tar.xz', 'bind9_9.18.49.orig.tar.xz'],
    });
  });
});
