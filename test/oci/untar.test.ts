/** The layer reader of artifacts-only fleets: what kiln's own tar writer packs, it unpacks byte for byte. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tarOf } from '../../src/oci/artifact.js';
import { untarGz } from '../../src/oci/untar.js';

describe('untarGz', () => {
  it('round-trips kiln tars: nested dirs, a path too long for ustar (PAX), a long path split into prefix + name', () => {
    const long = `manifests/${'p'.repeat(60)}/${'x'.repeat(120)}.yaml`;
    const split = `manifests/${'d'.repeat(90)}/${'f'.repeat(80)}.yaml`;
    const files = new Map<string, string | Buffer>([
      ['README.md', '# hi\n'],
      ['.kiln/metadata.yaml', 'sourceCommit: abc\n'],
      [long, 'kind: ConfigMap\n'],
      [split, Buffer.from([0, 1, 2, 255])],
      ['manifests/base/ns.yaml', ''],
    ]);
    const got = untarGz(gzipSync(tarOf(files)), 'test');
    expect([...got.keys()]).toEqual([...files.keys()].sort());
    for (const [p, c] of files) expect(got.get(p)!.equals(Buffer.from(c)), p).toBe(true);
  });

  it('refuses a layer that is not gzip, or whose paths leave its root', () => {
    expect(() => untarGz(Buffer.from('plain'), 'repo@sha256:1')).toThrow(/repo@sha256:1: the layer is not gzip/);
    const evil = tarOf(new Map([['a/../../etc/passwd', 'x']]));
    expect(() => untarGz(gzipSync(evil), 'repo')).toThrow(/outside its root/);
  });
});
