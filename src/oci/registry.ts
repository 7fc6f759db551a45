/**
 * The few calls of the OCI distribution API a publish needs (check, upload, tag), over fetch: no
 * registry client library, no docker daemon. Auth: anonymous, or `KILN_OCI_USERNAME` /
 * `KILN_OCI_PASSWORD` as Basic or exchanged for a Bearer token when the registry asks (the
 * `WWW-Authenticate` challenge of Docker's token protocol, as GHCR, ECR, GAR, Harbor and Docker Hub use).
 */
import { KilnError } from '../errors.js';
import type { Blob } from './artifact.js';

export interface OciRepo {
  /** host[:port] */
  host: string;
  /** repository path inside the registry, e.g. fleet/prod-eu-1 */
  name: string;
  insecure: boolean;
}

export interface Credentials {
  username: string;
  password: string;
}

const REPO_PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** `oci://host[:port]/path` → its parts, or a reason it is not one. */
export function parseOciRepository(url: string, insecure = false): OciRepo | string {
  const m = /^oci:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) return `"${url}" is not oci://<registry>/<repository>`;
  const [, host, name] = m as unknown as [string, string, string];
  if (/[@:]/.test(name)) return `"${url}" names a tag or digest; give the repository only (kiln tags it)`;
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) return `"${host}" is not a registry host[:port]`;
  if (!REPO_PATH.test(name)) return `repository path "${name}" must be lowercase letters, digits and separators (. _ __ - /)`;
  return { host, name, insecure };
}

export function repoUrl(r: OciRepo): string {
  return `oci://${r.host}/${r.name}`;
}

export function credentialsFromEnv(env = process.env): Credentials | undefined {
  const username = env.KILN_OCI_USERNAME;
  const password = env.KILN_OCI_PASSWORD;
  return username && password ? { username, password } : undefined;
}

const MANIFEST_ACCEPT = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

export class RegistryClient {
  private readonly tokens = new Map<string, string>();

  constructor(private readonly creds: Credentials | undefined = credentialsFromEnv()) {}

  /** The digest a tag (or digest) points at, or undefined when the registry has no such manifest. */
  async manifestDigest(r: OciRepo, ref: string): Promise<string | undefined> {
    const res = await this.call(r, 'HEAD', `manifests/${ref}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    await this.expect(res, [200], `look up ${repoUrl(r)}:${ref}`);
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  async getManifest(r: OciRepo, ref: string): Promise<Buffer | undefined> {
    const res = await this.call(r, 'GET', `manifests/${ref}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    await this.expect(res, [200], `read ${repoUrl(r)}:${ref}`, true);
    return Buffer.from(await res.arrayBuffer());
  }

  async getBlob(r: OciRepo, digest: string): Promise<Buffer> {
    const res = await this.call(r, 'GET', `blobs/${digest}`);
    await this.expect(res, [200], `read blob ${digest} of ${repoUrl(r)}`, true);
    return Buffer.from(await res.arrayBuffer());
  }

  async hasBlob(r: OciRepo, digest: string): Promise<boolean> {
    const res = await this.call(r, 'HEAD', `blobs/${digest}`);
    if (res.status === 404) return false;
    await this.expect(res, [200], `look up blob ${digest} in ${repoUrl(r)}`);
    return true;
  }

  /** Monolithic upload: POST a session, PUT the bytes with their digest. */
  async putBlob(r: OciRepo, blob: Blob): Promise<void> {
    const start = await this.call(r, 'POST', 'blobs/uploads/');
    await this.expect(start, [202], `start an upload to ${repoUrl(r)}`);
    const loc = start.headers.get('location');
    if (!loc) throw new KilnError(`${r.host} started an upload without a Location header`);
    const url = new URL(loc, this.base(r));
    url.searchParams.set('digest', blob.digest);
    const res = await this.call(r, 'PUT', url.toString(), { body: blob.bytes, headers: { 'content-type': 'application/octet-stream' } });
    await this.expect(res, [201], `upload blob ${blob.digest} to ${repoUrl(r)}`);
  }

  async putManifest(r: OciRepo, ref: string, manifest: Blob): Promise<void> {
    const res = await this.call(r, 'PUT', `manifests/${ref}`, { body: manifest.bytes, headers: { 'content-type': manifest.mediaType } });
    await this.expect(res, [201], `tag ${repoUrl(r)}:${ref}`);
  }

  private base(r: OciRepo): string {
    return `${r.insecure ? 'http' : 'https'}://${r.host}/v2/${r.name}/`;
  }

  private async call(r: OciRepo, method: string, pathOrUrl: string, init: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : this.base(r) + pathOrUrl;
    const scopeKey = `${r.host}/${r.name}`;
    const send = (auth?: string) =>
      fetch(url, { method, body: init.body, headers: { ...init.headers, ...(auth ? { authorization: auth } : {}) }, redirect: 'follow' }).catch((e: unknown) => {
        throw new KilnError(`cannot reach the OCI registry ${r.host}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, {
          hint: r.insecure ? 'check spec.output.oci.repository' : 'check spec.output.oci.repository; a plain-HTTP registry needs spec.output.oci.insecure: true',
        });
      });
    let res = await send(this.tokens.get(scopeKey));
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.arrayBuffer().catch(() => undefined);
    const auth = await this.authorize(r, challenge);
    if (!auth) return res;
    this.tokens.set(scopeKey, auth);
    res = await send(auth);
    return res;
  }

  private async authorize(r: OciRepo, challenge: string): Promise<string | undefined> {
    const basic = this.creds ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}` : undefined;
    if (/^basic/i.test(challenge)) return basic;
    if (!/^bearer/i.test(challenge)) return undefined;
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm) return undefined;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', `repository:${r.name}:pull,push`);
    const res = await fetch(url, { headers: basic ? { authorization: basic } : {} });
    if (!res.ok) throw new KilnError(`${r.host} refused a token for ${r.name} (HTTP ${res.status})`, { hint: 'set KILN_OCI_USERNAME and KILN_OCI_PASSWORD to an account that may push there' });
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  /** `keepBody`: the caller reads the body of a success (otherwise it is drained, freeing the connection). */
  private async expect(res: Response, ok: number[], what: string, keepBody = false): Promise<void> {
    if (ok.includes(res.status)) {
      if (!keepBody && res.body && res.bodyUsed === false) await res.arrayBuffer().catch(() => undefined);
      return;
    }
    const text = await res.text().catch(() => '');
    const hint = res.status === 401 || res.status === 403 ? 'set KILN_OCI_USERNAME and KILN_OCI_PASSWORD to an account that may push there' : undefined;
    throw new KilnError(`could not ${what}: HTTP ${res.status}${text ? ` ${text.slice(0, 300).trim()}` : ''}`, hint ? { hint } : {});
  }
}
