/** Where downloaded source packages are kept between runs. */
export declare const DEBIAN_SOURCE_DIR: string;
/** Downloads (or finds) Debian source packages; returns each package's upstream tarball path. */
export declare function debianSourceTarballs<Name extends string>(packages: Name[]): Record<Name, string>;
