/**
 * The files of a gzip'd tar layer (what `flux push artifact` and kiln write): regular files only,
 * ustar `prefix` and PAX `path` records honoured, directories implied. In memory: a rendered tree is
 * small, and nothing of it should land on disk just to be compared.
 */
import { gunzipSync } from 'node:zlib';
import { KilnError } from '../errors.js';

export function untarGz(gz: Buffer, what: string): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz);
  } catch (e) {
    throw new KilnError(`${what}: the layer is not gzip data (${(e as Error).message})`);
  }
  const files = new Map<string, Buffer>();
  let pos = 0;
  let paxPath: string | undefined;
  while (pos + 512 <= tar.length) {
    const h = tar.subarray(pos, pos + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size)) throw new KilnError(`${what}: a tar header at byte ${pos} has no size`);
    const type = String.fromCharCode(h[156]!);
    const body = tar.subarray(pos + 512, pos + 512 + size);
    pos += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = paxRecords(body).get('path');
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(h, 345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    paxPath = undefined;
    if (type !== '0' && type !== '\0') continue; // directories, links: a rendered tree is plain files
    const p = name.replace(/^\.\//, '');
    if (p.split('/').some((s) => s === '..') || p.startsWith('/')) throw new KilnError(`${what}: the layer holds a path outside its root: ${p}`);
    files.set(p, Buffer.from(body));
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function field(h: Buffer, at: number, len: number): string {
  const raw = h.subarray(at, at + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function paxRecords(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    const sp = body.indexOf(32, pos);
    if (sp < 0) break;
    const len = Number(body.subarray(pos, sp).toString());
    if (!len) break;
    const rec = body.subarray(sp + 1, pos + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}
