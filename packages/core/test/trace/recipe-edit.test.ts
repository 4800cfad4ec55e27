import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/recipe/load.js';
import { addToRecipe, lineDiff } from '../../src/trace/recipe-edit.js';
import { parseProbeShorthand } from '../../src/trace/probe-shorthand.js';

const RECIPE = `# yaml-language-server: $schema=https://unpkg.com/@jailwright/core/schema/recipe.schema.json
# the demo
specVersion: 1
name: demo
jail:
  include: [base]   # presets
  files:
    - /usr/sbin/apache2  # the server
launch: { mode: engine-chroot, command: [/usr/sbin/apache2], user: www-data }
`;

describe('addToRecipe', () => {
  it('appends to existing and new lists, keeps comments and layout, and stays a valid recipe', () => {
    const text = addToRecipe(RECIPE, [
      { kind: 'file', value: '/etc/mime.types', why: 'ENOENT openat /etc/mime.types' },
      { kind: 'library', value: 'libgcc_s.so.1', why: 'ENOENT openat /lib/x86_64-linux-gnu/libgcc_s.so.1' },
      { kind: 'directory', value: '/var/log/apache2', owner: 'www-data', why: 'the service writes there' },
      { kind: 'user', value: 'www-data', why: 'runs as it' },
    ]);
    expect(text).toContain('# the demo\n');
    expect(text).toContain('  include: [base]   # presets\n');
    expect(text).toContain('    - /usr/sbin/apache2  # the server\n    - /etc/mime.types # learned: ENOENT openat /etc/mime.types\n');
    expect(text).toContain('launch: { mode: engine-chroot, command: [/usr/sbin/apache2], user: www-data }');
    const recipe = parseRecipe(text, 'learned.yaml');
    expect(recipe.jail?.libraries).toEqual(['libgcc_s.so.1']);
    expect(recipe.jail?.directories).toEqual([{ path: '/var/log/apache2', owner: 'www-data', mode: '0750' }]);
    expect(recipe.jail?.users).toEqual(['www-data']);
    const diff = lineDiff(RECIPE, text);
    expect(diff).toContain('+    - /etc/mime.types');
    expect(diff).not.toContain('-  include');
  });
});

describe('parseProbeShorthand', () => {
  it('reads tcp, http and flow-mapping probes', () => {
    expect(parseProbeShorthand('tcp:8080')).toEqual({ type: 'tcp', port: 8080 });
    expect(parseProbeShorthand('http:127.0.0.1:8080/index.html')).toEqual({ type: 'http', host: '127.0.0.1', port: 8080, path: '/index.html' });
    expect(parseProbeShorthand('{type: http, port: 80}')).toEqual({ type: 'http', port: 80 });
    expect(() => parseProbeShorthand('ftp:21')).toThrow(/--probe/);
  });
});
