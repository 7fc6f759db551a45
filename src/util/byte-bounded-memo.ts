/**
 * A per-process memo bounded by what it holds rather than by its entry count: when a new entry would
 * take it past `maxBytes` (as the caller measures its entries), it starts over empty. For memos of
 * texts, where a few large per-cluster texts would otherwise keep megabytes alive under a count bound.
 */
export class ByteBoundedMemo<K, V> {
  private readonly entries = new Map<K, V>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V, bytes: number): void {
    if (this.bytes + bytes > this.maxBytes) {
      this.entries.clear();
      this.bytes = 0;
    }
    this.entries.set(key, value);
    this.bytes += bytes;
  }
}
