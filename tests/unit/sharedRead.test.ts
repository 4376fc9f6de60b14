import { sharedRead } from '../../services/cache/sharedRead';

/** A read the test finishes by hand, counting how many were started. */
function controlledRead(): { read: () => Promise<number>; finish: (value: number) => void; fail: (error: Error) => void; started: () => number } {
  const pending: Array<{ resolve: (v: number) => void; reject: (e: Error) => void }> = [];
  return {
    read: () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject })),
    finish: (value) => pending.shift()?.resolve(value),
    fail: (error) => pending.shift()?.reject(error),
    started: () => pending.length,
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('sharedRead: one read for a burst of callers, never one begun before the call', () => {
  it('callers during a read share the next one, which starts when the read in flight ends', async () => {
    const source = controlledRead();
    const read = sharedRead(source.read);
    const first = read();
    const second = read();
    const third = read();
    expect(source.started()).toBe(1);
    source.finish(1);
    expect(await first).toBe(1);
    await tick();
    // The two callers who came while the first read was out get the same, later read.
    expect(source.started()).toBe(1);
    source.finish(2);
    expect(await second).toBe(2);
    expect(await third).toBe(2);
  });

  it('a caller with no read in flight starts its own', async () => {
    const source = controlledRead();
    const read = sharedRead(source.read);
    const first = read();
    source.finish(1);
    await first;
    const later = read();
    source.finish(7);
    expect(await later).toBe(7);
  });

  it('a failed read fails only its own callers; the next read is fresh', async () => {
    const source = controlledRead();
    const read = sharedRead(source.read);
    const failing = read();
    const waiting = read();
    source.fail(new Error('database gone'));
    await expect(failing).rejects.toThrow('database gone');
    await tick();
    source.finish(3);
    expect(await waiting).toBe(3);
  });
});
