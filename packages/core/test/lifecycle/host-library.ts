import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { run } from '../support/root.js';

/**
 * A real host change for the update tests: a shared library and programs compiled with gcc into a
 * test-owned prefix, registered with the host's loader by a drop-in in /etc/ld.so.conf.d and ldconfig
 * (both removed by `remove`), so the engine resolves them exactly as it resolves a Debian library.
 */
export class HostLibrary {
  readonly lib: string;
  readonly bin: string;
  readonly dropIn: string;

  constructor(
    readonly prefix: string,
    readonly name: string,
  ) {
    this.lib = path.join(prefix, 'lib');
    this.bin = path.join(prefix, 'bin');
    this.dropIn = `/etc/ld.so.conf.d/zz-jailwright-test-${name}-${process.pid}.conf`;
  }

  async register(): Promise<void> {
    await mkdir(this.lib, { recursive: true, mode: 0o755 });
    await mkdir(this.bin, { recursive: true, mode: 0o755 });
    await writeFile(this.dropIn, `${this.lib}\n`);
  }

  /** Installs lib<name>.so.<major>.0 (soname lib<name>.so.<major>) whose <name>_version() returns `value`, replacing by rename as dpkg does. */
  async installLibrary(major: number, value: number): Promise<string> {
    const file = path.join(this.lib, `lib${this.name}.so.${major}.0`);
    const source = path.join(this.prefix, `lib${this.name}-${major}-${value}.c`);
    await writeFile(source, `int ${this.name}_version(void) { return ${value}; }\n`);
    await compile(['-shared', '-fPIC', `-Wl,-soname,lib${this.name}.so.${major}`, '-o', `${file}.new`, source]);
    await rename(`${file}.new`, file);
    await replaceSymlink(`lib${this.name}.so.${major}.0`, path.join(this.lib, `lib${this.name}.so.${major}`));
    await replaceSymlink(`lib${this.name}.so.${major}`, path.join(this.lib, `lib${this.name}.so`));
    await this.ldconfig();
    return file;
  }

  /** Removes every file of major version `major`, as a package upgrade removing the old soname does. */
  async removeLibrary(major: number): Promise<void> {
    await rm(path.join(this.lib, `lib${this.name}.so.${major}.0`), { force: true });
    await rm(path.join(this.lib, `lib${this.name}.so.${major}`), { force: true });
    await this.ldconfig();
  }

  /** Compiles `source` (C) into bin/<program>, linked against the library's current lib<name>.so. */
  async installProgram(program: string, source: string): Promise<string> {
    const file = path.join(this.bin, program);
    await writeFile(`${file}.c`, source);
    await compile(['-O2', '-o', `${file}.new`, `${file}.c`, `-L${this.lib}`, `-l${this.name}`]);
    await rename(`${file}.new`, file);
    return file;
  }

  async ldconfig(): Promise<void> {
    expect((await run('ldconfig', [])).code).toBe(0);
  }

  async remove(): Promise<void> {
    await rm(this.dropIn, { force: true });
    await run('ldconfig', []);
  }
}

async function compile(args: string[]): Promise<void> {
  const result = await run('gcc', args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

async function replaceSymlink(target: string, link: string): Promise<void> {
  await rm(`${link}.new`, { force: true });
  await symlink(target, `${link}.new`);
  await rename(`${link}.new`, link);
}
