/**
 * JSON text of a value that may hold bigints: integers beyond 2^53 that Kubernetes' reader keeps
 * exact (int64, uint64) and kiln reads as bigint (k8s-yaml.ts). Written as the plain digits, as Go's
 * encoder writes them; `JSON.stringify` alone would throw on them.
 */
const MARK = `\u0000kiln-bigint-${process.pid}:`;
const MARKED = new RegExp(`"${JSON.stringify(MARK).slice(1, -1).replace(/\\/g, '\\\\')}(-?[0-9]+)"`, 'g');

export function jsonText(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${MARK}${v.toString()}` : v));
  if (text === undefined) return 'null';
  return text.includes('kiln-bigint-') ? text.replace(MARKED, '$1') : text;
}
