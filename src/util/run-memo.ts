/**
 * What one run computes once and shares (file hashes, input sets, patch results, in-flight chart
 * pulls): named maps owned by the run's session and dropped with it, never module-level state.
 */
export class RunMemo {
  private readonly maps = new Map<string, Map<unknown, unknown>>();
  private readonly weaks = new Map<string, WeakMap<object, unknown>>();

  /** The run's map of this name, created on first use. */
  map<K, V>(name: string): Map<K, V> {
    let m = this.maps.get(name);
    if (!m) this.maps.set(name, (m = new Map()));
    return m as Map<K, V>;
  }

  /** The run's weak map of this name (values that live as long as their key object does), created on first use. */
  weak<K extends object, V>(name: string): WeakMap<K, V> {
    let m = this.weaks.get(name);
    if (!m) this.weaks.set(name, (m = new WeakMap()));
    return m as WeakMap<K, V>;
  }

  /** `fn()` once per key for the run; a rejected promise is forgotten, so a later ask retries. */
  once<T>(name: string, key: string, fn: () => Promise<T>): Promise<T> {
    return onceIn(this.map<string, Promise<T>>(name), key, fn);
  }
}

/** The promise `m` holds for `key`, else `fn()`'s, kept there; a rejected one is forgotten, so a later ask retries. */
export function onceIn<K, T>(m: Map<K, Promise<T>>, key: K, fn: () => Promise<T>): Promise<T> {
  let p = m.get(key);
  if (!p) {
    p = fn();
    m.set(key, p);
    p.catch(() => m.delete(key));
  }
  return p;
}
