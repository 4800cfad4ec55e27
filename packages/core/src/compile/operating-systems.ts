/** Operating systems a build profile can target; `{os}` in paths and arguments expands to the one chosen. */
export const BUILD_OPERATING_SYSTEMS = ['linux', 'solaris'] as const;

export type BuildOperatingSystem = (typeof BUILD_OPERATING_SYSTEMS)[number];
