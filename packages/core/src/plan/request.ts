/** A host file (or tree) to bring into the jail. */
export interface FileRequest {
  path: string;
  to?: string | undefined;
  mode?: number | undefined;
  owner?: string | undefined;
  group?: string | undefined;
  optional?: boolean | undefined;
  keepSetuid?: boolean | undefined;
  origin: string;
}

/** A dlopen'd library, by soname or absolute path. */
export interface LibraryRequest {
  name: string;
  optional?: boolean | undefined;
  origin: string;
}

/** A directory to create. */
export interface DirectoryRequest {
  path: string;
  mode?: number | undefined;
  owner?: string | undefined;
  group?: string | undefined;
  origin: string;
}

/** A user for the jail's passwd; `create` makes a host system account when missing. */
export interface UserRequest {
  name: string;
  create?: boolean | undefined;
  group?: string | undefined;
  home?: string | undefined;
  origin: string;
}

/** A file whose content the engine writes. */
export interface WriteRequest {
  path: string;
  content: string;
  mode?: number | undefined;
  owner?: string | undefined;
  group?: string | undefined;
  origin: string;
}

/**
 * Everything asked of one jail, from the recipe and the presets it includes, each item tagged with
 * where it came from so a plan can say why every path is there.
 */
export interface JailRequest {
  files: FileRequest[];
  libraries: LibraryRequest[];
  directories: DirectoryRequest[];
  devices: { name: string; origin: string }[];
  users: UserRequest[];
  groups: { name: string; origin: string }[];
  write: WriteRequest[];
  symlinks: { path: string; target: string; origin: string }[];
  link: 'copy' | 'hard';
}

/** An empty request, to merge into. */
export function emptyRequest(): JailRequest {
  return { files: [], libraries: [], directories: [], devices: [], users: [], groups: [], write: [], symlinks: [], link: 'copy' };
}

/** Appends every item of `addition` to `target`. */
export function mergeRequest(target: JailRequest, addition: Partial<JailRequest>): JailRequest {
  target.files.push(...(addition.files ?? []));
  target.libraries.push(...(addition.libraries ?? []));
  target.directories.push(...(addition.directories ?? []));
  target.devices.push(...(addition.devices ?? []));
  target.users.push(...(addition.users ?? []));
  target.groups.push(...(addition.groups ?? []));
  target.write.push(...(addition.write ?? []));
  target.symlinks.push(...(addition.symlinks ?? []));
  return target;
}
