import { describe, expect, it } from 'vitest';
import { didYouMean, jailPathProblem, symlinkTargetProblem } from '../../src/recipe/index.js';

describe('jailPathProblem', () => {
  it.each(['/etc/passwd', '/var/run', '/dev/log', '/processes', '/system'])('accepts %s', (path) => {
    expect(jailPathProblem(path)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['etc/passwd', /not absolute.*"\/etc\/passwd"/],
    ['/', /jail root itself/],
    ['/etc/../..', /would escape the jail root/],
    ['/..', /would escape the jail root/],
    ['/etc//passwd', /contains "\/\/"/],
    ['/etc/./passwd', /not normalized: write it as "\/etc\/passwd"/],
    ['/etc/', /not normalized: write it as "\/etc"/],
    ['/proc', /not allowed: \/proc is a kernel filesystem/],
    ['/sys/kernel', /not allowed: \/sys is a kernel filesystem/],
  ])('rejects %j', (path, reason) => {
    expect(jailPathProblem(path)).toMatch(reason);
  });
});

describe('symlinkTargetProblem', () => {
  it('accepts relative and absolute targets that stay inside', () => {
    expect(symlinkTargetProblem('/lib64/ld-linux-x86-64.so.2', '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2')).toBeUndefined();
    expect(symlinkTargetProblem('/lib', 'usr/lib')).toBeUndefined();
    expect(symlinkTargetProblem('/dev/fd', '/proc/self/fd')).toBeUndefined();
  });

  it('rejects targets that climb above the root', () => {
    expect(symlinkTargetProblem('/lib', '../etc')).toMatch(/would escape the jail root/);
    expect(symlinkTargetProblem('/a/b', 'c/../../../x')).toMatch(/would escape/);
    expect(symlinkTargetProblem('/a/b', '/../etc')).toMatch(/would escape/);
  });
});

describe('didYouMean', () => {
  it('suggests only within two edits', () => {
    expect(didYouMean('fils', ['include', 'files'])).toBe('files');
    expect(didYouMean('timzone', ['base', 'timezone'])).toBe('timezone');
    expect(didYouMean('xyzzy', ['base', 'files'])).toBeUndefined();
  });
});
