/**
 * JSON with object keys sorted at every level — the same text as render/common.ts `stableJson`
 * (`JSON.stringify` of a key-sorted copy), written directly for plain JSON data: no sorted copy
 * of every object is built. The cluster memo hashes one such text per component and per cluster
 * (5,000+ for a 1,000-cluster re-publish), where the copies were most of the cost.
 * Anything else (a function, symbol, bigint, Date, Map, a `toJSON` key) takes the copy path.
 */

const INDEX = /^(?:0|[1-9]\d*)$/;
// integer-like keys come first in any object's own key order, ascending, whatever their insertion order
const isIndex = (k: string) => INDEX.test(k) && Number(k) < 4294967295;
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function stableJson(value: unknown): string {
  return write(value) ?? JSON.stringify(sortDeep(value));
}

/** The text, or undefined when `value` holds something only the copy path writes faithfully. */
function write(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(v);
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          const t = x === undefined ? 'null' : write(x);
          if (t === undefined) return undefined;
          s += i ? `,${t}` : t;
        }
        return `${s}]`;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort(byCodeUnit);
      if (keys.includes('toJSON')) return undefined;
      const index = keys.filter(isIndex);
      const ordered = index.length ? [...index.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isIndex(k))] : keys;
      let s = '{';
      for (const k of ordered) {
        const x = o[k];
        if (x === undefined) continue;
        const t = write(x);
        if (t === undefined) return undefined;
        s += `${s.length > 1 ? ',' : ''}${JSON.stringify(k)}:${t}`;
      }
      return `${s}}`;
    }
    default:
      return undefined; // undefined at the top, function, symbol, bigint
  }
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort(byCodeUnit)
        .map((k) => [k, sortDeep(o[k])]),
    );
  }
  return v;
}
