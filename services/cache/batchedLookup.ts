interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Lookups by key asked in the same turn of the event loop, answered by one read of all their keys: a reconnect
 * storm's thousands of handshakes cost a read per few hundred instead of one each. A caller waits at most for the
 * rest of the current turn; a read that fails fails every lookup of its batch, and the next batch reads again.
 * Nothing is remembered between batches, so no answer is older than its question.
 */
export function batchedLookup<K, V>(load: (keys: K[]) => Promise<Map<K, V>>, maxBatch = 500): (key: K) => Promise<V | undefined> {
  let pending: Map<K, Array<Waiter<V>>> | null = null;
  const flush = (batch: Map<K, Array<Waiter<V>>>): void => {
    // Started as a promise whatever `load` does: a throw fails its batch, never the caller that filled it.
    Promise.resolve([...batch.keys()])
      .then(load)
      .then(
        (found) => {
          for (const [key, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
        },
      );
  };
  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      if (!pending) {
        const batch = new Map<K, Array<Waiter<V>>>();
        pending = batch;
        setImmediate(() => {
          // Already sent when it filled up.
          if (pending !== batch) return;
          pending = null;
          flush(batch);
        });
      }
      const batch = pending;
      const waiters = batch.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else batch.set(key, [{ resolve, reject }]);
      if (batch.size >= maxBatch) {
        pending = null;
        flush(batch);
      }
    });
}
