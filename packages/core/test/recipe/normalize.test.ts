import { describe, expect, it } from 'vitest';
import { normalizeRecipe, parseRecipe } from '../../src/recipe/index.js';

describe('normalizeRecipe', () => {
  it('expands shorthands, fills defaults and turns modes into numbers', () => {
    const recipe = parseRecipe(
      `specVersion: 1
name: web
description: a web server
jail:
  files:
    - /usr/sbin/httpd
    - { path: /usr/bin/ping, to: /bin/ping, mode: "4755", keepSetuid: true, reason: raw sockets, optional: true }
  directories: [/var/log/web, { path: /tmp, mode: "1777" }]
  users: [www, { name: web, create: true, group: web }]
  write: [{ path: /etc/web.conf, content: "port 80\\n", mode: "0644" }]
  link: hard
`,
      'recipe.yaml',
    );
    const normalized = normalizeRecipe(recipe);
    expect(normalized).toEqual({
      specVersion: 1,
      name: 'web',
      description: 'a web server',
      jail: {
        include: [],
        files: [
          { path: '/usr/sbin/httpd', to: '/usr/sbin/httpd', optional: false, keepSetuid: false },
          { path: '/usr/bin/ping', to: '/bin/ping', mode: 0o4755, keepSetuid: true, reason: 'raw sockets', optional: true },
        ],
        libraries: [],
        directories: [{ path: '/var/log/web' }, { path: '/tmp', mode: 0o1777 }],
        devices: [],
        users: [
          { name: 'www', create: false },
          { name: 'web', create: true, group: 'web' },
        ],
        groups: [],
        write: [{ path: '/etc/web.conf', content: 'port 80\n', mode: 0o644 }],
        symlinks: [],
        link: 'hard',
      },
    });
  });

  it('defaults link to copy and leaves the input untouched', () => {
    const recipe = parseRecipe('specVersion: 1\nname: x\njail:\n  write: [{ path: /a, content: b, mode: "0600" }]\n', 'r.yaml');
    const normalized = normalizeRecipe(recipe);
    expect(normalized.jail.link).toBe('copy');
    expect(normalized.jail.write[0]?.mode).toBe(0o600);
    expect(recipe.jail.write?.[0]?.mode).toBe('0600');
  });
});
