/**
 * A rendered tree as an OCI artifact in Flux's format (what `flux push artifact` writes and
 * source-controller / `flux pull artifact` read): one gzip'd tar layer
 * `application/vnd.cncf.flux.content.v1.tar+gzip`, config `application/vnd.cncf.flux.config.v1+json`,
 * and the manifest annotations `org.opencontainers.image.{created,source,revision}`.
 * Deterministic: the same files, source and commit time give the same digest, so a republish with no
 * change finds the manifest already in the registry and pushes nothing.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const FLUX_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.flux.config.v1+json';
export const FLUX_CONTENT_MEDIA_TYPE = 'application/vnd.cncf.flux.content.v1.tar+gzip';
export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

export interface Blob {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface Artifact {
  layer: Blob;
  config: Blob;
  manifest: Blob;
}

export interface ArtifactMeta {
  /** `org.opencontainers.image.source`: the fleet repo's URL. */
  source: string;
  /** `org.opencontainers.image.revision`: `<ref>@sha1:<commit>`, as Flux writes Git revisions. */
  revision: string;
  /** RFC 3339, UTC, whole seconds: the source commit's time, never the clock (determinism). */
  created: string;
  /** More manifest annotations (e.g. `dev.kiln.content` of artifacts-only publishing). */
  annotations?: Record<string, string>;
}

/** The id of what an artifact deploys (objects.ts `contentId`), kept on artifacts-only manifests. */
export const CONTENT_ANNOTATION = 'dev.kiln.content';

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function buildArtifact(files: Map<string, Buffer | string>, meta: ArtifactMeta): Artifact {
  const tar = tarOf(files);
  const layerBytes = gzipSync(tar, { level: 6 });
  const layer: Blob = { digest: sha256(layerBytes), mediaType: FLUX_CONTENT_MEDIA_TYPE, bytes: layerBytes };
  // the fields go-containerregistry's ConfigFile writes for `flux push artifact`
  const configBytes = Buffer.from(
    JSON.stringify({ architecture: '', created: meta.created, os: '', rootfs: { type: 'layers', diff_ids: [sha256(tar)] }, config: {} }),
  );
  const config: Blob = { digest: sha256(configBytes), mediaType: FLUX_CONFIG_MEDIA_TYPE, bytes: configBytes };
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      config: { mediaType: config.mediaType, size: config.bytes.length, digest: config.digest },
      layers: [{ mediaType: layer.mediaType, size: layer.bytes.length, digest: layer.digest }],
      annotations: {
        'org.opencontainers.image.created': meta.created,
        'org.opencontainers.image.revision': meta.revision,
        'org.opencontainers.image.source': meta.source,
        ...meta.annotations,
      },
    }),
  );
  return { layer, config, manifest: { digest: sha256(manifestBytes), mediaType: OCI_MANIFEST_MEDIA_TYPE, bytes: manifestBytes } };
}

/**
 * A POSIX ustar archive of regular files (0644, uid/gid 0, mtime 0) in path order, with the parent
 * directories first; paths too long for ustar's name/prefix fields get a PAX `path` record.
 */
export function tarOf(files: Map<string, Buffer | string>): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const p of [...files.keys()].sort()) {
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) {
      const d = segs.slice(0, i).join('/') + '/';
      if (!dirs.has(d)) {
        dirs.add(d);
        parts.push(...entry(d, Buffer.alloc(0), '5', 0o755));
      }
    }
    const c = files.get(p)!;
    parts.push(...entry(p, typeof c === 'string' ? Buffer.from(c) : c, '0', 0o644));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function entry(name: string, body: Buffer, type: '0' | '5' | 'x', mode: number): Buffer[] {
  const out: Buffer[] = [];
  const split = splitName(name);
  let header: Buffer;
  if (split) {
    header = ustarHeader(split.name, split.prefix, body.length, type, mode);
  } else {
    const rec = paxRecord('path', name);
    out.push(ustarHeader('PaxHeader', '', rec.length, 'x', 0o644), pad(rec));
    header = ustarHeader(name.slice(-99).replace(/^\/+/, ''), '', body.length, type, mode);
  }
  out.push(header, pad(body));
  return out;
}

function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest) return { name: rest, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

function ustarHeader(name: string, prefix: string, size: number, type: string, mode: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 7), 100);
  h.write(octal(0, 7), 108);
  h.write(octal(0, 7), 116);
  h.write(octal(size, 11), 124);
  h.write(octal(0, 11), 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\u000000', 257);
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148);
  return h;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width, '0') + '\u0000';
}

function pad(b: Buffer): Buffer {
  const rem = b.length % 512;
  return rem ? Buffer.concat([b, Buffer.alloc(512 - rem)]) : b;
}
