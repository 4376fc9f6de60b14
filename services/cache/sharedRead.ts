/**
 * One read shared by everyone who asks while it is pending, never a stale one: a caller gets either a read it
 * started or the next read, which begins once the read in flight at its call has ended. So a burst of callers
 * (a marketing email's customers arriving) costs two reads, and each still sees every change committed before
 * its call.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  const start = (): Promise<T> => {
    const running = read();
    current = running;
    const done = (): void => {
      if (current === running) current = null;
    };
    running.then(done, done);
    return running;
  };
  return () => {
    if (!current) return start();
    next ??= current.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      next = null;
      return start();
    });
    return next;
  };
}
