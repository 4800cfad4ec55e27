/** Where the host copy of a file stood when it was planned; a rebuild compares it to decide whether anything changed. */
export interface SourceStamp {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
  mode: number;
  uid: number;
  gid: number;
}

interface OperationBase {
  /** Absolute path inside the jail, e.g. `/usr/lib/x86_64-linux-gnu/libc.so.6`. */
  path: string;
  /** Why this path is in the jail: the recipe key or preset that asked for it, or the ELF file that needs it. */
  reason: string;
}

/** Create a directory. */
export interface MakeDirectory extends OperationBase {
  kind: 'directory';
  mode: number;
  uid: number;
  gid: number;
}

/** Copy (or hard-link) a regular file from the host. */
export interface CopyFile extends OperationBase {
  kind: 'copy';
  source: SourceStamp;
  mode: number;
  uid: number;
  gid: number;
  /** True when the recipe keeps setuid/setgid bits (and the audit will say so). */
  keepSetuid: boolean;
  /** Setuid/setgid bits the host file had and the jail copy drops. */
  strippedBits: number;
  link: 'copy' | 'hard';
}

/** Create a symbolic link; `target` is always relative or resolves inside the jail. */
export interface MakeSymlink extends OperationBase {
  kind: 'symlink';
  target: string;
}

/** Create a device node with the host's major/minor. */
export interface MakeDevice extends OperationBase {
  kind: 'device';
  device: 'char' | 'block';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

/** Write a file the engine generates (passwd, group, nsswitch.conf, recipe `write:` entries). */
export interface WriteFile extends OperationBase {
  kind: 'write';
  content: string;
  mode: number;
  uid: number;
  gid: number;
}

/** One step of building a jail, in the order it runs. */
export type Operation = MakeDirectory | CopyFile | MakeSymlink | MakeDevice | WriteFile;

/** A host account the build creates before it reads the host's users. */
export interface AccountToCreate {
  name: string;
  group?: string | undefined;
  home?: string | undefined;
}

/** Everything `apply` does, in order, and what the planner noticed on the way. */
export interface Plan {
  recipe: string;
  operations: Operation[];
  /** Host accounts that must exist before the jail's passwd can be written; planning reports, `build` creates. */
  accountsToCreate: AccountToCreate[];
  /** Things a user should know: optional files missing on the host, setuid bits stripped, libraries not found. */
  notes: string[];
}
