/** Config YAML with positions: every value can be traced back to file:line:col for error messages. */
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import { KilnError, type SourcePos } from '../errors.js';
import type { DocRef, JsonPath } from '../model.js';
import { readFreeMapsAsKubernetes } from './k8s-values.js';

/** Config files are small; anything bigger is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Enough for ordinary anchors, far below what an alias bomb needs. */
export const MAX_ALIASES = 100;

/**
 * YAML 1.2 core (so `on`/`yes` stay strings and dates stay strings), duplicate keys are errors;
 * the free-form maps handed to the tools are then read as Kubernetes reads YAML (k8s-values.ts).
 * Merge keys (`<<: *base`) are honoured: without them `<<` would silently become a helm value key.
 */
const PARSE_OPTIONS = { version: '1.2', schema: 'core', merge: true, uniqueKeys: true, prettyErrors: false } as const;

/** A DocRef that can also point at a map key (unknown fields are reported where the key is written). */
export interface YamlDocRef extends DocRef {
  locateKey(path: JsonPath): SourcePos;
}

export interface LoadedDoc {
  /** The document as plain JS (maps are objects). */
  value: unknown;
  ref: YamlDocRef;
  /** 0-based index of the document in its file. */
  index: number;
}

/** Read and parse a config file; `file` is the name used in messages (relative to the fleet root). */
export async function loadYamlFile(abs: string, file: string): Promise<LoadedDoc[]> {
  return parseYamlDocs(await readConfigText(abs, file), file);
}

/** The text of a config file, refused (file:1:1) beyond MAX_CONFIG_BYTES. */
export async function readConfigText(abs: string, file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(abs)).size;
  } catch (e) {
    throw new KilnError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { pos: { file } });
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new KilnError(`file is ${size} bytes, more than the ${MAX_CONFIG_BYTES} bytes kiln accepts for a config file`, {
      pos: { file, line: 1, col: 1 },
      hint: 'split it into several files, or keep large data in values files referenced by path',
    });
  }
  return readFile(abs, 'utf8');
}

/** Parse every document of `text`; empty documents (only comments, a trailing `---`) are skipped. */
export function parseYamlDocs(text: string, file: string): LoadedDoc[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter: lc });
  const list = Array.isArray(docs) ? docs : [docs];
  const at = (offset: number): SourcePos => ({ file, ...lc.linePos(offset) });
  const out: LoadedDoc[] = [];
  list.forEach((doc, index) => {
    const err = doc.errors[0];
    if (err) {
      throw new KilnError(`invalid YAML: ${firstLine(err.message)}`, { pos: at(err.pos[0]), hint: yamlHint(err.code) });
    }
    if (doc.contents === null) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      // toJS throws a ReferenceError on alias bombs; point at the first alias
      throw new KilnError(`too many YAML aliases (more than ${MAX_ALIASES} expanded nodes)`, {
        pos: at(firstAliasOffset(doc) ?? doc.range[0]),
        hint: 'anchors and aliases are meant for small repeated blocks; write the values out instead',
        cause: e,
      });
    }
    if (value === null || value === undefined) return;
    const ref = docRef(doc, file, at);
    readFreeMapsAsKubernetes(value, doc, MAX_ALIASES, ref.locate);
    out.push({ value, ref, index });
  });
  return out;
}

/**
 * Documents whose refs parse `text` with positions on their first use (once per file): what the
 * parse cache hands out, and what a file's documents keep once they passed their schema, so the
 * parsed YAML (~10 KB per cluster document: ~100 MB for a 10,000-cluster inventory) is not held for
 * the whole run for positions that only an error or a warning reads.
 */
export function withLazyPositions(text: string, file: string, docs: Array<{ index: number; value: unknown }>): LoadedDoc[] {
  let parsed: Map<number, YamlDocRef> | undefined;
  const real = (index: number): YamlDocRef => {
    parsed ??= new Map(parseYamlDocs(text, file).map((d) => [d.index, d.ref]));
    const ref = parsed.get(index);
    // the same text parses to the same documents; a mismatch would be a bug in this module
    if (!ref) throw new Error(`${file}: document ${index} not found on re-parse`);
    return ref;
  };
  return docs.map(({ index, value }) => ({
    index,
    value,
    ref: { file, locate: (p) => real(index).locate(p), locateKey: (p) => real(index).locateKey(p) },
  }));
}

/**
 * A position looked up on first read: with the parse cache a document's positions cost a parse of
 * its file, which a position nobody reads (a patch that never fails) must not pay. Read, spread or
 * printed, it is the position `locate` gives.
 */
export function lazyPos(file: string, locate: () => SourcePos): SourcePos {
  let got: SourcePos | undefined;
  const real = () => (got ??= locate());
  return Object.defineProperties({ file } as SourcePos, {
    line: { get: () => real().line, enumerable: true },
    col: { get: () => real().col, enumerable: true },
  });
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, '');
}

function yamlHint(code: string): string | undefined {
  if (code === 'TAB_AS_INDENT') return 'indent with spaces, not tabs';
  if (code === 'DUPLICATE_KEY') return 'each key may appear once per map; remove or merge the duplicate';
  return undefined;
}

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_k, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

function docRef(doc: Document, file: string, at: (offset: number) => SourcePos): YamlDocRef {
  const docStart = (): SourcePos => at(doc.contents?.range?.[0] ?? 0);
  /** Walk `path` as far as it exists; returns the deepest node and, when the last step was a map entry, its key. */
  const walk = (path: JsonPath): { node: Node | null; key: Node | null; complete: boolean } => {
    let node = (doc.contents as Node | null) ?? null;
    let key: Node | null = null;
    for (const seg of path) {
      if (node && isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
      if (!node) break;
      let next: Node | null | undefined;
      let nextKey: Node | null = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair) {
          next = (pair.value as Node | null) ?? (pair.key as Node);
          nextKey = pair.key as Node;
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg] as Node | undefined;
      }
      if (!next) return { node, key, complete: false };
      node = next;
      key = nextKey;
    }
    return { node, key, complete: true };
  };
  const posOf = (n: Node | null): SourcePos => (n?.range ? at(n.range[0]) : docStart());
  return {
    file,
    locate: (path) => posOf(walk(path).node),
    locateKey: (path) => {
      const w = walk(path);
      return posOf(w.complete && w.key ? w.key : w.node);
    },
  };
}
