/** What a trace or a learner may never carry into a jail, and why: kernel filesystems, password hashes, keys. */

/** Why a host path must not go into a jail, or undefined when it may. */
export function refusedPath(path: string): string | undefined {
  if (path === '/proc' || path.startsWith('/proc/')) return 'kernel filesystem /proc: never copied (the launcher mounts a fresh /proc when a recipe asks for one)';
  if (path === '/sys' || path.startsWith('/sys/')) return 'kernel filesystem /sys: never copied';
  if (/^\/etc\/(g?shadow|shadow-|gshadow-|security\/opasswd)$/.test(path)) return 'password hashes: never copied into a jail';
  if (/^\/etc\/(sudoers(\.d)?|ssh)(\/|$)/.test(path)) return 'host administration secrets: never copied into a jail';
  if (/\/(private|\.ssh|\.gnupg)(\/|$)/.test(path) || /\.(key|pem)$/.test(path) && /private|key/.test(path)) return 'looks like a private key: add it to the recipe yourself if the service needs it';
  return undefined;
}

/** Paths the loader or libc probe on every start: noise, never something to add. */
export function isLoaderNoise(path: string): boolean {
  return (
    path === '/etc/ld.so.cache' ||
    path === '/etc/ld.so.preload' ||
    /\/glibc-hwcaps(\/|$)/.test(path) ||
    /\/(tls|haswell|x86_64|avx512_1|i686|sse2)(\/[^/]*)?$/.test(path) && /lib/.test(path)
  );
}
