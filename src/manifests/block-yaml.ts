/**
 * Block YAML written without the `yaml` library's document model, byte for byte what its
 * `stringify` writes with the same options — or undefined, and the caller asks the library.
 *
 * Why: the library builds a node per value and a schema per call (~0.9 ms for one branch's
 * `.kiln/metadata.yaml`, ~1 s of a 1,000-cluster publish for that file alone). The layout of block
 * maps and sequences is simple and fixed here; how each scalar is written (plain, quoted, which
 * quotes) is the library's own answer, asked once per distinct scalar and remembered. Anything else
 * — a multi-line string (block scalars), a key that is not a plain word, an empty document, a value
 * that is not JSON data — is left to the library.
 */
import { Document, type CreateNodeOptions, type DocumentOptions, type SchemaOptions, type ToStringOptions } from 'yaml';

export type YamlOptions = DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions;

/** One set of stringify options and what the library answered for each scalar under them. */
export interface BlockYaml {
  /** The YAML text of a non-empty plain map (or sequence), or undefined when the library must write it. */
  write(value: unknown): string | undefined;
}

// a scalar's text as a map value (and as a sequence item: the same block, non-key context) and as a key
const MEMO_MAX = 50_000;
// keys written by kiln and Kubernetes: words, dotted/slashed names (app.kubernetes.io/name), no
// flow indicators, spaces or `:` — the library writes these plain unless they read as another type
const KEY_WORD = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
// values the library writes plain for certain: a letter first, no character it treats specially
// (a `:` only inside, before another such character: `sha256:…`, `image:tag`), and not one of
// YAML 1.1's words for booleans and null (y, n, yes, no, on, off, true, false, null)
const PLAIN_WORD = /^[A-Za-z][A-Za-z0-9_./=-]*(?::[A-Za-z0-9_./=-]+)*$/;
const WORDS_11 = /^(?:y|n|yes|no|on|off|true|false|null)$/i;

/** `quoted`: strings the options' custom tags quote beyond YAML 1.1's own (serialize.ts: what go-yaml v2 reads as no string). */
export function blockYaml(options: YamlOptions, quoted?: (s: string) => boolean): BlockYaml {
  const doc = new Document(null, options);
  const values = new Map<unknown, string | null>();
  const keys = new Map<string, string | null>();
  const ask = (v: unknown): string | null => {
    doc.contents = doc.createNode({ k: v });
    const out = doc.toString(options);
    const text = out.startsWith('k: ') && out.endsWith('\n') ? out.slice(3, -1) : '';
    return text && !text.includes('\n') ? text : null;
  };
  const askKey = (k: string): string | null => {
    doc.contents = doc.createNode({ [k]: 1 });
    const out = doc.toString(options);
    const text = out.endsWith(': 1\n') ? out.slice(0, -4) : '';
    return text && !text.includes('\n') && !text.startsWith('?') ? text : null;
  };
  // a string the library writes plain for certain, as a value or a key
  const plainWord = (v: string): boolean => PLAIN_WORD.test(v) && !WORDS_11.test(v) && !quoted?.(v);
  const remember = <K>(m: Map<K, string | null>, k: K, f: () => string | null): string | null => {
    let t = m.get(k);
    if (t === undefined) {
      if (m.size >= MEMO_MAX) m.clear();
      m.set(k, (t = f()));
    }
    return t;
  };

  const scalar = (v: unknown): string | null => {
    switch (typeof v) {
      case 'string':
        if (plainWord(v)) return v;
        if (v.includes('\n')) return null;
        return remember(values, v, () => ask(v));
      case 'number':
        // -0 and 0 are one Map key; -0 is rare enough for the library
        return Object.is(v, -0) ? null : remember(values, v, () => ask(v));
      case 'boolean':
        return remember(values, v, () => ask(v));
      case 'object':
        return v === null ? remember(values, v, () => ask(v)) : null;
      default:
        return null;
    }
  };
  // a key the library writes plain for certain is not asked either (its first asks are its slowest:
  // ~140 of them cost ~80 ms of a publish in profiles); an implicit key past 1024 characters it would not
  const key = (k: string): string | null => (KEY_WORD.test(k) ? (k.length <= 1000 && plainWord(k) ? k : remember(keys, k, () => askKey(k))) : null);
  const plainObject = (v: unknown): v is Record<string, unknown> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
  };

  // `out`: lines so far; `indent`: of this collection's lines; `first`: the text before this
  // collection's first line when it starts on its parent's line (`- ` of a sequence item)
  const map = (o: Record<string, unknown>, indent: string, first: string, out: string[]): boolean => {
    let lead = first;
    let written = 0;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v === undefined) continue; // the library leaves an undefined value out
      const kt = key(k);
      if (kt === null) return false;
      if (!value(v, indent, `${lead}${kt}:`, out)) return false;
      lead = indent;
      written++;
    }
    return written > 0; // an object of undefined values only: the library's `{}`
  };
  const seq = (a: unknown[], indent: string, first: string, out: string[]): boolean => {
    let lead = first;
    for (let i = 0; i < a.length; i++) {
      if (!(i in a) || a[i] === undefined) return false;
      if (!value(a[i], indent, `${lead}-`, out)) return false;
      lead = indent;
    }
    return true;
  };
  // one entry: `head` is `<indent>key:` or `<indent>-`; nested collections go one level deeper
  // (sequences under a key too: indentSeq), a sequence item's map or sequence starts on its dash line
  const value = (v: unknown, indent: string, head: string, out: string[]): boolean => {
    const item = head.endsWith('-');
    if (Array.isArray(v)) {
      if (v.length === 0) return out.push(`${head} []`) > 0;
      if (item) return seq(v, `${indent}  `, `${head} `, out);
      out.push(head);
      return seq(v, `${indent}  `, `${indent}  `, out);
    }
    if (plainObject(v)) {
      if (Object.keys(v).length === 0) return out.push(`${head} {}`) > 0;
      if (item) return map(v, `${indent}  `, `${head} `, out);
      out.push(head);
      return map(v, `${indent}  `, `${indent}  `, out);
    }
    const s = scalar(v);
    if (s === null) return false;
    out.push(`${head} ${s}`);
    return true;
  };

  return {
    write(v) {
      const out: string[] = [];
      const ok = Array.isArray(v) ? v.length > 0 && seq(v, '', '', out) : plainObject(v) && Object.keys(v).length > 0 && map(v, '', '', out);
      return ok ? `${out.join('\n')}\n` : undefined;
    },
  };
}
