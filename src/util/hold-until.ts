/**
 * Work that needs something not yet there (publish: the remote's heads, fetched while the clusters
 * render): items handed on before it is ready are held, at most `bound` of them, and worked through in
 * order once it is, so the producer is not stalled by the wait; past the bound the producer waits as
 * it did before. A failure (of `ready` or of a held item's work) is thrown by the next `push` and by
 * `drain`, so the producer stops early as it would have.
 */
export interface HeldWork<T> {
  /** Work on `item` now when ready; else hold it (resolves at once), or wait when `bound` are held. */
  push(item: T): Promise<void>;
  /** Resolves once every held item is worked; rejects with the first failure. */
  drain(): Promise<void>;
  /** Held items not yet started are dropped; resolves once the one being worked (if any) settled. */
  stop(): Promise<void>;
  /** Items held now (tests). */
  readonly held: number;
}

export function holdUntil<T>(ready: Promise<unknown>, bound: number, work: (item: T) => Promise<void>): HeldWork<T> {
  let isReady = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let held = 0;
  const fail = (error: unknown) => {
    failure ??= { error };
  };
  // never rejects: failures are kept in `failure`, for push and drain to throw
  let chain: Promise<void> = ready.then(
    () => {
      isReady = true;
    },
    (e: unknown) => {
      isReady = true;
      fail(e);
    },
  );
  return {
    get held() {
      return held;
    },
    async push(item) {
      if (failure) throw failure.error;
      if (!isReady && held < bound) {
        held++;
        chain = chain.then(async () => {
          held--;
          if (stopped || failure) return;
          await work(item).catch(fail);
        });
        return;
      }
      await ready;
      await work(item);
    },
    async drain() {
      await chain;
      if (failure) throw failure.error;
    },
    async stop() {
      stopped = true;
      await chain;
    },
  };
}
