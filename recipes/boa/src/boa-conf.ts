/** The Boa releases this recipe knows, and the article's patched one (a variant: configuration only). */
export const BOA_VERSIONS = ['0.94.13', '0.94.14rc21', '0.94.8.3-chroot'] as const;

export type BoaVersion = (typeof BOA_VERSIONS)[number];

/** What `boa.conf` says: each option is the Boa directive of the same name. */
export interface BoaConfOptions {
  /** TCP port (Port). Default 8088: not privileged, so Boa needs no net_bind_service. */
  port?: number;
  /** Address to bind (Listen). Default 127.0.0.1; undefined binds every address. */
  listen?: string | undefined;
  /** Account Boa drops to after its chroot (User); looked up in the jail's /etc/passwd. */
  user?: string;
  /** Group Boa drops to (Group). */
  group?: string;
  /** ServerName. Without it Boa resolves the host's own name, so the jail then needs hosts and resolver files. */
  serverName?: string | undefined;
  /** DocumentRoot, a path inside the jail. */
  documentRoot?: string;
  /** ErrorLog, inside the jail: Boa sends its stderr there once it has read its configuration. */
  errorLog?: string;
  /** AccessLog, inside the jail. */
  accessLog?: string;
  /** MimeTypes: the mime.types file, inside the jail. */
  mimeTypes?: string;
  /** DirectoryMaker: the index program inside the jail (boa_indexer); undefined serves no directory listings. */
  directoryMaker?: string | undefined;
  /** ScriptAlias /cgi-bin/ to this jail directory; undefined serves no CGI. */
  cgiDirectory?: string | undefined;
}

/** The defaults: Boa on loopback port 8088 as jw-boa, logs under /var/log/boa. */
export const BOA_CONF_DEFAULTS = {
  port: 8088,
  listen: '127.0.0.1',
  user: 'jw-boa',
  group: 'jw-boa',
  serverName: 'localhost',
  documentRoot: '/var/www',
  errorLog: '/var/log/boa/error_log',
  accessLog: '/var/log/boa/access_log',
  mimeTypes: '/etc/mime.types',
  directoryMaker: undefined,
  cgiDirectory: undefined,
} as const satisfies BoaConfOptions;

/** Boa reads a value up to the end of the line: a newline in one would start a directive of the caller's choosing. */
function directive(name: string, value: string | number): string {
  const text = String(value);
  if (text === '' || /[\s#]/.test(text)) throw new Error(`boa.conf ${name}: ${JSON.stringify(text)} must be one word without spaces or "#"`);
  return `${name} ${text}`;
}

function jailPathValue(name: string, value: string): string {
  if (!value.startsWith('/') || value.split('/').includes('..')) throw new Error(`boa.conf ${name}: ${JSON.stringify(value)} must be an absolute path inside the jail, without ".."`);
  return value;
}

/**
 * Writes boa.conf from the recipe's options. Boa reads it after it has chrooted (`-r`), so every path
 * in it is a path inside the jail. No ChrootPath: 0.94.13 and later chroot from the command line, and
 * the article's patched 0.94.8.3 does not use that directive either.
 */
export function boaConf(options: BoaConfOptions = {}): string {
  const settings = { ...BOA_CONF_DEFAULTS, ...options };
  if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65_535) throw new Error(`boa.conf Port: ${settings.port} is not a TCP port (1-65535)`);
  const lines = [
    '# boa.conf written by @jailwright/boa; Boa reads it inside its jail, so every path is a jail path.',
    directive('Port', settings.port),
    ...(settings.listen === undefined ? [] : [directive('Listen', settings.listen)]),
    directive('User', settings.user),
    directive('Group', settings.group),
    ...(settings.serverName === undefined ? [] : [directive('ServerName', settings.serverName)]),
    directive('DocumentRoot', jailPathValue('DocumentRoot', settings.documentRoot)),
    directive('ErrorLog', jailPathValue('ErrorLog', settings.errorLog)),
    directive('AccessLog', jailPathValue('AccessLog', settings.accessLog)),
    directive('MimeTypes', jailPathValue('MimeTypes', settings.mimeTypes)),
    'DirectoryIndex index.html',
    ...(settings.directoryMaker === undefined ? [] : [directive('DirectoryMaker', jailPathValue('DirectoryMaker', settings.directoryMaker))]),
    'DefaultType text/plain',
    'KeepAliveMax 100',
    'KeepAliveTimeout 10',
    ...(settings.cgiDirectory === undefined
      ? []
      : [`ScriptAlias /cgi-bin/ ${jailPathValue('ScriptAlias', settings.cgiDirectory.endsWith('/') ? settings.cgiDirectory : `${settings.cgiDirectory}/`)}`, 'CGIPath /bin:/usr/bin']),
  ];
  return `${lines.join('\n')}\n`;
}
