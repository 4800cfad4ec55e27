import { describe, expect, it } from 'vitest';
import { findRelease, formatMakeSet, planCompile } from '../../src/compile/index.js';
import { RecipeError, parseRecipe, type BuildSettings } from '../../src/recipe/index.js';

const build: BuildSettings = {
  releases: [{ version: '1.2.3', sha256: 'a'.repeat(64), files: ['tool-1.2.3.tar.gz', 'tool_1.2.3.orig.tar.gz'] }],
  profiles: {
    default: {
      prefix: '/usr/local/tool',
      configure: ['--without-extras', '--sysconfdir={prefix}/etc'],
      make: { CFLAGS: '-O2' },
      replaces: { '/usr/sbin/tool': 'sbin/tool' },
    },
    classic: {
      prefix: '/usr/local/tool',
      directory: 'src',
      files: [
        { path: 'port/{os}/Makefile.set', os: ['solaris'], makeSet: { CC: 'gcc', DESTBIN: '{prefix}/bin', CATEXT: '$$N' } },
        { path: 'port/{os}/Makefile.set', os: ['linux'], makeSet: { CC: 'gcc -D_GNU_SOURCE' } },
        { path: 'NOTES', content: 'built for {os}\n' },
      ],
      steps: [
        { name: 'make', run: ['make', '-j{jobs}'] },
        { name: 'ranlib-fix', run: ['touch', 'solaris-only'], os: ['solaris'] },
        { name: 'install', run: ['make', 'install', 'DESTDIR={destdir}'] },
      ],
      replaces: { '/usr/sbin/tool': 'sbin/tool' },
    },
  },
};

describe('planCompile', () => {
  it('expands a configure profile into configure, make and make install into the staging DESTDIR', () => {
    const plan = planCompile(build, { destdir: '/work/stage', jobs: 2, os: 'linux' });
    expect(plan.profile).toBe('default');
    expect(plan.steps).toEqual([
      { name: 'configure', argv: ['./configure', '--prefix=/usr/local/tool', '--without-extras', '--sysconfdir=/usr/local/tool/etc'], directory: '.' },
      { name: 'make', argv: ['make', '-j2', 'CFLAGS=-O2'], directory: '.' },
      { name: 'install', argv: ['make', 'install', 'DESTDIR=/work/stage', 'CFLAGS=-O2'], directory: '.' },
    ]);
    expect(plan.replaces).toEqual({ '/usr/sbin/tool': '/usr/local/tool/sbin/tool' });
  });

  it('--prefix moves the install and what replaces the host files', () => {
    const plan = planCompile(build, { prefix: '/opt/tool/', destdir: '/s', jobs: 1, os: 'linux' });
    expect(plan.prefix).toBe('/opt/tool/');
    expect(plan.replaces['/usr/sbin/tool']).toBe('/opt/tool/sbin/tool');
    expect(() => planCompile(build, { prefix: 'relative', destdir: '/s', jobs: 1, os: 'linux' })).toThrow(/must be an absolute directory/);
  });

  it('writes only the files and runs only the steps for the chosen system, with {os} expanded', () => {
    const solaris = planCompile(build, { profile: 'classic', destdir: '/s', jobs: 4, os: 'solaris' });
    expect(solaris.files).toEqual([
      { path: 'port/solaris/Makefile.set', content: "'CC=gcc'\n'DESTBIN=/usr/local/tool/bin'\n'CATEXT=$$N'\n" },
      { path: 'NOTES', content: 'built for {os}\n' },
    ]);
    expect(solaris.steps.map((step) => step.name)).toEqual(['make', 'ranlib-fix', 'install']);
    expect(solaris.steps[0]).toEqual({ name: 'make', argv: ['make', '-j4'], directory: 'src' });
    const linux = planCompile(build, { profile: 'classic', destdir: '/s', jobs: 4, os: 'linux' });
    expect(linux.files[0]).toEqual({ path: 'port/linux/Makefile.set', content: "'CC=gcc -D_GNU_SOURCE'\n" });
    expect(linux.steps.map((step) => step.name)).toEqual(['make', 'install']);
  });

  it('names the profiles when asked for one the recipe does not have', () => {
    expect(() => planCompile(build, { profile: 'bind4', destdir: '/s', jobs: 1, os: 'linux' })).toThrow(/no build profile "bind4"/);
  });

  it('formats Makefile.set lines the BIND 8 way, in the order given', () => {
    expect(formatMakeSet({ LDS: ':', AR: 'ar cru' })).toBe("'LDS=:'\n'AR=ar cru'\n");
  });
});

describe('findRelease', () => {
  it('knows a release by its exact tarball names only: another compression of it has other bytes', () => {
    expect(findRelease('tool_1.2.3.orig.tar.gz', build.releases ?? [])?.version).toBe('1.2.3');
    expect(findRelease('tool-1.2.3.tar.bz2', build.releases ?? [])).toBeUndefined();
  });
});

describe('the build: section of a recipe', () => {
  const recipe = (buildSection: string) => `specVersion: 1\nname: tool\njail: { files: [/usr/sbin/tool] }\nbuild:\n${buildSection}`;
  const problems = (text: string) => {
    try {
      parseRecipe(text, 'recipe.yaml');
      return [];
    } catch (error) {
      if (error instanceof RecipeError) return error.issues.map((issue) => `${issue.line}: ${issue.path}: ${issue.message}`);
      throw error;
    }
  };

  it('accepts a profile with configure flags', () => {
    expect(problems(recipe('  profiles:\n    default: { prefix: /opt/tool, configure: [], replaces: { /usr/sbin/tool: sbin/tool } }\n'))).toEqual([]);
  });

  it('points at each mistake with its line', () => {
    expect(
      problems(
        recipe(
          '  releases: [{ version: "1", sha256: abc, files: [a.tar.gz] }]\n' +
            '  profiles:\n' +
            '    default:\n' +
            '      prefix: /opt/tool\n' +
            '      configure: []\n' +
            '      steps: [{ name: make, run: [make] }]\n' +
            '      files: [{ path: ../escape, content: x }]\n' +
            '      replaces: { /usr/sbin/tool: /abs/tool }\n',
        ),
      ),
    ).toEqual([
      '5: build.releases[0].sha256: sha256 "abc" is not 64 lower-case hex digits',
      '10: build.profiles.default.steps: a build profile has exactly one of `configure` (the standard configure/make/install) or `steps`',
      '11: build.profiles.default.files[0].path: path "../escape" must be relative to the source tree and must not contain ".."',
      '12: build.profiles.default.replaces./usr/sbin/tool: path "/abs/tool" must be relative to the source tree and must not contain ".."',
    ]);
  });

  it('refuses a default profile that does not exist', () => {
    expect(problems(recipe('  profiles:\n    bind8: { prefix: /opt/tool, configure: [], replaces: {} }\n'))).toEqual([
      '6: build.profiles: there is no profile "default" (the default when defaultProfile is not set) — profiles: bind8',
    ]);
  });
});
