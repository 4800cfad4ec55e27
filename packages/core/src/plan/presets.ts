import { posix } from 'node:path';
import { JailwrightError } from '../errors.js';
import type { HostView } from '../host/host-view.js';
import { KNOWN_PRESETS, type Preset as PresetName } from '../recipe/vocabulary.js';
import type { JailRequest } from './request.js';

/** NSS sources that work inside a jail: the jail has its own files, and DNS needs only resolv.conf and a socket. */
const JAIL_NSS_SOURCES = new Set(['files', 'dns']);

/** Databases a jail's nsswitch.conf always answers, even when the host file is silent about them. */
const NSS_DATABASES = ['passwd', 'group', 'shadow', 'hosts', 'networks', 'protocols', 'services', 'ethers', 'rpc'];

type PresetExpansion = (host: HostView) => Promise<Partial<JailRequest>>;

/**
 * The presets a recipe can `include`. Each is derived from the host when the jail is planned
 * (device numbers, the loader, the time zone link), never from a table.
 */
const PRESETS: Record<PresetName, PresetExpansion> = {
  /** The Linux counterpart of the article's Solaris base list. */
  async base(host) {
    const origin = 'preset base';
    const varRun = await mirrorVarRun(host, origin);
    return {
      devices: ['null', 'zero', 'random', 'urandom'].map((name) => ({ name, origin })),
      libraries: [{ name: 'libc.so.6', origin }],
      files: [
        { path: '/etc/hosts', origin },
        { path: '/etc/services', origin },
        { path: '/etc/protocols', origin },
        ...optionalFiles(['/etc/resolv.conf', '/etc/host.conf', '/etc/gai.conf'], origin),
      ],
      directories: [
        { path: '/tmp', mode: 0o1777, origin },
        { path: '/var/tmp', mode: 0o1777, origin },
        { path: '/run', mode: 0o755, origin },
        ...(varRun.length === 0 ? [{ path: '/var/run', mode: 0o755, origin }] : []),
      ],
      symlinks: varRun,
    };
  },

  /** nsswitch.conf for the jail and the NSS modules it names. */
  async nss(host) {
    const origin = 'preset nss';
    const hostFile = (await host.readText('/etc/nsswitch.conf')) ?? '';
    return {
      write: [{ path: '/etc/nsswitch.conf', content: jailNsswitch(hostFile), mode: 0o644, origin }],
      libraries: [...JAIL_NSS_SOURCES].map((source) => ({ name: `libnss_${source}.so.2`, optional: true, origin })),
    };
  },

  /** What a resolver needs: its configuration, the DNS NSS module and libresolv. */
  async dns() {
    const origin = 'preset dns';
    return {
      files: [{ path: '/etc/hosts', origin }, ...optionalFiles(['/etc/resolv.conf', '/etc/host.conf', '/etc/gai.conf'], origin)],
      libraries: [
        { name: 'libnss_dns.so.2', optional: true, origin },
        { name: 'libresolv.so.2', optional: true, origin },
      ],
    };
  },

  /** The host's time zone: /etc/localtime with the zoneinfo file it links to, and /etc/timezone. */
  async timezone() {
    return { files: optionalFiles(['/etc/localtime', '/etc/timezone'], 'preset timezone') };
  },
};

/** Presets a preset brings along. */
const PRESET_INCLUDES: Partial<Record<PresetName, PresetName[]>> = { base: ['nss', 'timezone'] };

/** Expands preset names (and the presets they include, once each) into requests derived from the host. */
export async function expandPresets(names: readonly PresetName[], host: HostView): Promise<Partial<JailRequest>[]> {
  const seen = new Set<PresetName>();
  const order: PresetName[] = [];
  const visit = (name: PresetName): void => {
    if (seen.has(name)) return;
    seen.add(name);
    if (!KNOWN_PRESETS.includes(name)) {
      throw new JailwrightError(`unknown preset "${name}": this engine knows ${KNOWN_PRESETS.join(', ')}`);
    }
    order.push(name);
    for (const included of PRESET_INCLUDES[name] ?? []) visit(included);
  };
  for (const name of names) visit(name);
  return Promise.all(order.map((name) => PRESETS[name](host)));
}

/** Rewrites the host's nsswitch.conf keeping only sources that work in a jail. */
export function jailNsswitch(hostFile: string): string {
  const databases = new Map<string, string[]>();
  for (const rawLine of hostFile.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    const match = /^([a-z_]+)\s*:\s*(.*)$/.exec(line);
    if (!match) continue;
    const sources = (match[2] ?? '')
      .replace(/\[[^\]]*\]/g, ' ')
      .split(/\s+/)
      .filter((source) => JAIL_NSS_SOURCES.has(source));
    databases.set(match[1] as string, sources);
  }
  const lines = ['# Written by jailwright from the host nsswitch.conf, keeping only sources that work inside a jail.'];
  const names = [...new Set([...NSS_DATABASES, ...databases.keys()])];
  for (const name of names) {
    const sources = databases.get(name) ?? [];
    lines.push(`${`${name}:`.padEnd(16)}${(sources.length > 0 ? sources : ['files']).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function optionalFiles(paths: string[], origin: string) {
  return paths.map((path) => ({ path, optional: true, origin }));
}

/** /var/run is a link to /run on modern hosts; the jail keeps the same shape with a link that stays inside. */
async function mirrorVarRun(host: HostView, origin: string): Promise<JailRequest['symlinks']> {
  const info = await host.lstat('/var/run');
  if (!info?.isSymbolicLink()) return [];
  const target = posix.resolve('/var', await host.readlink('/var/run'));
  return [{ path: '/var/run', target: posix.relative('/var', target) || '.', origin }];
}
