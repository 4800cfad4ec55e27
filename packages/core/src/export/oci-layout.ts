import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { ENGINE_VERSION } from '../version.js';
import { serviceEnvironment, substituteRoot } from '../launch/launch-command.js';
import { resolveServiceIdentity } from '../launch/service-control.js';
import type { LoadedRecipe } from '../recipe/load.js';
import type { Probe } from '../recipe/probe-schema.js';
import { recipeVersion } from '../recipe/recipe-version.js';
import { measure } from './measure.js';
import { tarTree, type TarSkipped } from './tar-writer.js';

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** A content-addressed blob as a descriptor names it. */
interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** Node's process.arch in the spelling of the OCI image spec (GOARCH). */
const ARCHITECTURES: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** What `export --format oci` wrote. */
export interface OciExport {
  tag: string;
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor & { diffId: string };
  skipped: TarSkipped[];
}

async function writeBlob(blobs: string, content: Buffer, mediaType: string): Promise<Descriptor> {
  const hex = createHash('sha256').update(content).digest('hex');
  await writeFile(posix.join(blobs, hex), content);
  return { mediaType, digest: `sha256:${hex}`, size: content.length };
}

/**
 * The jail as one gzip'd layer. zlib's gzip header carries no name and mtime 0, so the same tar gives the
 * same bytes (with the same zlib); the diff id is the sha256 of the uncompressed tar, as the spec asks.
 */
async function writeLayer(blobs: string, tree: string, mtime: number): Promise<OciExport['layer'] & { skipped: TarSkipped[] }> {
  const archive = await tarTree(tree, { mtime });
  const uncompressed = measure();
  const compressed = measure();
  const temporary = posix.join(blobs, '.layer.tmp');
  await pipeline(Readable.from(archive.chunks), uncompressed.stream, createGzip({ level: constants.Z_BEST_COMPRESSION }), compressed.stream, createWriteStream(temporary));
  const digest = compressed.digest();
  await rename(temporary, posix.join(blobs, digest.slice('sha256:'.length)));
  return { mediaType: MEDIA.layer, digest, size: compressed.size(), diffId: uncompressed.digest(), skipped: archive.skipped };
}

/** Ports a client reaches the service on, from its network probes: "8080/tcp", "5353/udp". */
export function exposedPorts(probes: readonly Probe[]): string[] {
  const ports = new Set<string>();
  for (const probe of probes) {
    if (probe.type === 'http' || probe.type === 'tcp' || probe.type === 'smtp') ports.add(`${probe.port}/tcp`);
    if (probe.type === 'dns') ports.add(`${probe.port}/udp`);
  }
  return [...ports].sort();
}

/**
 * The image config: the recipe's launch as entrypoint and cmd, its user as numeric uid:gid (an
 * engine-chroot service; a self-chroot service starts as root and drops to its user itself, with
 * `{root}` as "/" since the container's root is the jail), PATH and launch.env, the probe ports, labels.
 */
async function imageConfig(loaded: LoadedRecipe, diffId: string, mtime: number, recipeSha256: string | undefined): Promise<object> {
  const launch = loaded.recipe.launch;
  if (!launch) throw new Error('imageConfig needs a launch section');
  const identity = launch.mode === 'engine-chroot' ? await resolveServiceIdentity(launch) : undefined;
  const command = launch.command.map((argument) => substituteRoot(argument, '/'));
  const version = await recipeVersion(loaded.file, recipeSha256);
  const versionLabel = version.package?.version ?? (version.sha256 ? `sha256:${version.sha256}` : 'unknown');
  const created = new Date(mtime * 1000).toISOString().replace('.000Z', 'Z');
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': loaded.recipe.name,
    ...(loaded.recipe.description ? { 'org.opencontainers.image.description': loaded.recipe.description } : {}),
    'org.opencontainers.image.version': versionLabel,
    'io.jailwright.recipe': loaded.recipe.name,
    ...(version.package ? { 'io.jailwright.recipe.package': version.package.name } : {}),
    'io.jailwright.recipe.version': versionLabel,
    ...(version.sha256 ? { 'io.jailwright.recipe.sha256': version.sha256 } : {}),
    'io.jailwright.engine.version': ENGINE_VERSION,
    'io.jailwright.launch.mode': launch.mode,
  };
  return {
    created,
    architecture: ARCHITECTURES[process.arch] ?? process.arch,
    os: 'linux',
    config: {
      User: identity ? `${identity.uid}:${identity.gid}` : '0:0',
      Env: Object.entries(serviceEnvironment(launch)).map(([name, value]) => `${name}=${value}`),
      Entrypoint: command.slice(0, 1),
      Cmd: command.slice(1),
      WorkingDir: launch.mode === 'self-chroot' && launch.workdir ? launch.workdir : '/',
      ExposedPorts: Object.fromEntries(exposedPorts(loaded.recipe.probes ?? []).map((port) => [port, {}])),
      StopSignal: launch.stop.signal,
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: `jailwright ${ENGINE_VERSION} export --format oci (recipe ${loaded.recipe.name} ${versionLabel})` }],
  };
}

/** JSON as the blobs hold it: compact, keys in the order written, so equal input gives equal digests. */
function canonical(value: object): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/**
 * Writes an OCI image layout (oci-layout, index.json, blobs/sha256/) into `directory`, which must not
 * exist or be empty: one gzip'd layer of the jail tree, a config from the recipe, a manifest tagged `tag`.
 */
export async function writeOciLayout(
  tree: string,
  loaded: LoadedRecipe,
  directory: string,
  options: {
    tag: string;
    mtime: number;
    /** The digest of the recipe that built the tree, from its manifest: the version of an unpackaged recipe. */
    recipeSha256?: string | undefined;
  },
): Promise<OciExport> {
  const blobs = posix.join(directory, 'blobs/sha256');
  await mkdir(blobs, { recursive: true });
  const layer = await writeLayer(blobs, tree, options.mtime);
  const config = await writeBlob(blobs, canonical(await imageConfig(loaded, layer.diffId, options.mtime, options.recipeSha256)), MEDIA.config);
  const manifest = await writeBlob(
    blobs,
    canonical({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config,
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    }),
    MEDIA.manifest,
  );
  await writeFile(posix.join(directory, 'oci-layout'), canonical({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    posix.join(directory, 'index.json'),
    canonical({ schemaVersion: 2, mediaType: MEDIA.index, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': options.tag } }] }),
  );
  const { skipped, ...layerDescriptor } = layer;
  return { tag: options.tag, manifest, config, layer: layerDescriptor, skipped };
}

/** Makes a scratch directory beside `file` (same filesystem), for a layout that becomes a tar archive. */
export async function scratchBeside(file: string): Promise<{ directory: string; remove: () => Promise<void> }> {
  const directory = await mkdtemp(posix.join(posix.dirname(file), `.${posix.basename(file)}.`));
  return { directory, remove: () => rm(directory, { recursive: true, force: true }) };
}
