/**
 * Parser for `strace -f -qq -s N -o FILE` output (strace 5.x/6.x, no -y): one event per completed
 * system call, with `<unfinished ...>`/`<... resumed>` halves joined per PID, paths resolved against the
 * process's own root (after a traced chroot(2) they are jail paths) and working directory.
 */
import { posix } from 'node:path';

/** The system calls a trace asks strace for: everything that names a path, execs, forks, or chroots. */
export const TRACED_SYSCALLS = [
  'execve', 'execveat', 'open', 'openat', 'openat2', 'creat',
  'stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat', 'faccessat2',
  'readlink', 'readlinkat', 'mkdir', 'mkdirat', 'chdir', 'chroot',
  'connect', 'bind', 'clone', 'clone3', 'fork', 'vfork',
] as const;

/** One completed system call that names a path or an address. */
export interface TraceEvent {
  pid: number;
  syscall: string;
  /** The path argument resolved to an absolute path in the process's view (a jail path after chroot). */
  path?: string | undefined;
  /** The process's root directory when the call was made: `/`, or the directory it chrooted into. */
  root: string;
  /** The return value (`undefined` for `?`). */
  result: number | undefined;
  /** errno name when the call failed, e.g. `ENOENT`. */
  errno?: string | undefined;
  /** open flags (`O_WRONLY|O_CREAT|O_CLOEXEC`) when given. */
  flags?: string | undefined;
  /** For connect/bind: the socket address. */
  address?: { family: 'unix'; path: string; abstract: boolean } | { family: 'inet' | 'inet6'; host: string; port: number } | undefined;
}

/** One token of a syscall's argument list: a decoded string (with the key before it, e.g. `sun_path`) or bare text. */
interface Argument {
  strings: { key: string | undefined; value: string; truncated: boolean }[];
  text: string;
}

const LINE = /^(\d+)\s+(.*)$/;
const UNFINISHED = / <unfinished \.\.\.>$/;
const RESUMED = /^<\.\.\. ([a-z0-9_]+) resumed>\s?(.*)$/;
// With --pidns-translation a PID returned inside a PID namespace reads `= 2 /* 16714 in strace's PID NS */`.
const CALL = /^([a-z0-9_]+)\((.*)\)\s+=\s+(-?\d+|0x[0-9a-f]+|\?)(?:\s+\/\* (\d+) in strace's PID NS \*\/)?(?:\s+([A-Z][A-Z0-9_]*)\b.*)?$/s;

/** Decodes a C-escaped strace string starting after its opening quote; returns the value and the index after the closing quote. */
function readString(text: string, start: number): { value: string; end: number; truncated: boolean } {
  const bytes: number[] = [];
  let i = start;
  while (i < text.length && text[i] !== '"') {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      const n = text[i + 1] as string;
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, '\\': 92, '"': 34, "'": 39, '?': 63 };
      if (n === 'x') {
        bytes.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
        i += 4;
      } else if (/[0-7]/.test(n)) {
        const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1))?.[0] ?? '0';
        bytes.push(Number.parseInt(octal, 8));
        i += 1 + octal.length;
      } else {
        bytes.push(simple[n] ?? n.charCodeAt(0));
        i += 2;
      }
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
      i++;
    }
  }
  const end = i + 1;
  const truncated = text.startsWith('...', end);
  return { value: Buffer.from(bytes).toString('utf8'), end: truncated ? end + 3 : end, truncated };
}

/** Splits the argument list at top-level commas, decoding quoted strings on the way. */
export function splitArguments(text: string): Argument[] {
  const out: Argument[] = [];
  let current: Argument = { strings: [], text: '' };
  let depth = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i] as string;
    if (c === '"') {
      const key = /([A-Za-z_]+)=@?$/.exec(current.text)?.[1];
      const decoded = readString(text, i + 1);
      current.strings.push({ key, value: decoded.value, truncated: decoded.truncated });
      current.text += '"…"';
      i = decoded.end;
      continue;
    }
    if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(current);
      current = { strings: [], text: '' };
      i++;
      while (text[i] === ' ') i++;
      continue;
    }
    current.text += c;
    i++;
  }
  if (current.text !== '' || current.strings.length > 0) out.push(current);
  return out;
}

interface ProcessView {
  root: string;
  cwd: string;
}

/** Where the path argument sits for each path-taking call: [index of the dirfd or -1, index of the path]. */
const PATH_ARGUMENT: Record<string, [number, number]> = {
  execve: [-1, 0], execveat: [0, 1], open: [-1, 0], creat: [-1, 0], openat: [0, 1], openat2: [0, 1],
  stat: [-1, 0], lstat: [-1, 0], newfstatat: [0, 1], statx: [0, 1], access: [-1, 0], faccessat: [0, 1], faccessat2: [0, 1],
  readlink: [-1, 0], readlinkat: [0, 1], mkdir: [-1, 0], mkdirat: [0, 1], chdir: [-1, 0], chroot: [-1, 0],
};

function parseAddress(args: Argument[]): TraceEvent['address'] {
  const address = args[1];
  if (!address) return undefined;
  if (address.text.includes('AF_UNIX')) {
    const sun = address.strings.find((entry) => entry.key === 'sun_path');
    if (!sun) return undefined;
    // strace prints abstract names as sun_path=@"name".
    return { family: 'unix', path: sun.value, abstract: /sun_path=@/.test(address.text) };
  }
  const port = /sin6?_port=htons\((\d+)\)/.exec(address.text)?.[1];
  if (port === undefined) return undefined;
  const inet6 = address.text.includes('AF_INET6');
  const host = address.strings[0]?.value ?? (inet6 ? '::' : '0.0.0.0');
  return { family: inet6 ? 'inet6' : 'inet', host, port: Number(port) };
}

/** Parses a whole strace log; `initialCwd` is the working directory the traced command started in. */
export function parseStraceLog(text: string, options: { initialCwd?: string } = {}): TraceEvent[] {
  const events: TraceEvent[] = [];
  const pending = new Map<number, string>();
  const views = new Map<number, ProcessView & { provisional?: boolean }>();
  const initial: ProcessView = { root: '/', cwd: options.initialCwd ?? '/' };
  // A child often makes calls before its parent's clone() returns its PID: until then it borrows the view of a forking parent.
  const forking: number[] = [];
  // Without a PID we can map (an old strace in a PID namespace), the process that forked last is the best guess.
  let lastForking: number | undefined;
  const viewOf = (pid: number): ProcessView & { provisional?: boolean } => {
    let view = views.get(pid);
    if (!view) {
      const parent = views.get(forking[forking.length - 1] ?? lastForking ?? -1);
      view = views.size === 0 ? { ...initial } : { ...(parent ?? initial), provisional: true };
      views.set(pid, view);
    }
    return view;
  };
  for (const raw of text.split('\n')) {
    const line = LINE.exec(raw.trimEnd());
    if (!line) continue;
    const pid = Number(line[1]);
    let body = line[2] as string;
    if (body.startsWith('+++') || body.startsWith('---')) continue;
    if (UNFINISHED.test(body)) {
      viewOf(pid);
      if (/^(clone3?|v?fork)\(/.test(body)) forking.push(pid);
      pending.set(pid, body.replace(UNFINISHED, ''));
      continue;
    }
    const resumed = RESUMED.exec(body);
    if (resumed) {
      const before = pending.get(pid);
      pending.delete(pid);
      if (before === undefined) continue;
      const rest = resumed[2] as string;
      // strace splits at an argument boundary and keeps the comma on one side: `openat(…, O_RDONLY` + `) = 3`, `wait4(-1,` + `[…], 0) = 5`.
      const head = before.trimEnd();
      body = head + (head.endsWith(',') ? ' ' : '') + rest;
    }
    const call = CALL.exec(body);
    if (!call) continue;
    const syscall = call[1] as string;
    const result = call[3] === '?' ? undefined : Number(call[3]);
    const hostPid = call[4] === undefined ? result : Number(call[4]);
    const errno = call[5];
    const view = viewOf(pid);
    const args = splitArguments(call[2] as string);

    if (syscall === 'clone' || syscall === 'clone3' || syscall === 'fork' || syscall === 'vfork') {
      const index = forking.lastIndexOf(pid);
      if (index >= 0) forking.splice(index, 1);
      const child = views.get(hostPid ?? -1);
      if (hostPid !== undefined && hostPid > 0 && (!child || child.provisional)) views.set(hostPid, { root: view.root, cwd: view.cwd });
      lastForking = pid;
      continue;
    }
    const event: TraceEvent = { pid, syscall, root: view.root, result, errno };
    const position = PATH_ARGUMENT[syscall];
    if (position) {
      const [dirIndex, pathIndex] = position;
      const argument = args[pathIndex]?.strings[0];
      if (!argument || argument.truncated) continue;
      const dirfd = dirIndex >= 0 ? args[dirIndex]?.text.trim() : 'AT_FDCWD';
      let resolved: string | undefined;
      if (argument.value.startsWith('/')) resolved = posix.normalize(argument.value);
      else if (argument.value !== '' && dirfd === 'AT_FDCWD') resolved = posix.join(view.cwd, argument.value);
      if (resolved !== undefined && resolved.length > 1 && resolved.endsWith('/')) resolved = resolved.slice(0, -1);
      if (resolved === undefined) continue;
      event.path = resolved;
      if (syscall.startsWith('open') || syscall === 'creat') event.flags = syscall === 'creat' ? 'O_WRONLY|O_CREAT' : args[pathIndex + 1]?.text.trim();
      if ((syscall === 'chdir' || syscall === 'chroot') && result === 0) delete view.provisional;
      if (syscall === 'chdir' && result === 0) view.cwd = resolved;
      if (syscall === 'chroot' && result === 0) {
        // Paths after chroot are relative to the new root, whose host path is root + resolved.
        view.root = posix.join(view.root, resolved);
        view.cwd = '/';
      }
    } else if (syscall === 'connect' || syscall === 'bind') {
      event.address = parseAddress(args);
      if (!event.address) continue;
    } else {
      continue;
    }
    events.push(event);
  }
  return events;
}
