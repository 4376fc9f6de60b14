import { batchedLookup } from '../../services/cache/batchedLookup';

/** A store the lookups read, recording each read's keys. */
function store(rows: Record<string, number>): { reads: string[][]; load: (keys: string[]) => Promise<Map<string, number>> } {
  const reads: string[][] = [];
  return {
    reads,
    load: async (keys) => {
      reads.push([...keys]);
      return new Map(keys.flatMap((key) => (key in rows ? [[key, rows[key] as number] as const] : [])));
    },
  };
}

describe('batchedLookup: the lookups of one turn of the event loop share one read', () => {
  it('answers every lookup of a turn from one read of their distinct keys; an unknown key is undefined', async () => {
    const { reads, load } = store({ a: 1, b: 2 });
    const lookup = batchedLookup(load);
    const answers = await Promise.all([lookup('a'), lookup('b'), lookup('a'), lookup('zz')]);
    expect(answers).toEqual([1, 2, 1, undefined]);
    expect(reads).toEqual([['a', 'b', 'zz']]);
  });

  it('reads again for a later turn: nothing is remembered between batches', async () => {
    const rows: Record<string, number> = { a: 1 };
    const { reads, load } = store(rows);
    const lookup = batchedLookup(load);
    expect(await lookup('a')).toBe(1);
    rows.a = 5;
    expect(await lookup('a')).toBe(5);
    expect(reads).toHaveLength(2);
  });

  it('a full batch is read at once, the rest goes into the next', async () => {
    const { reads, load } = store({ a: 1, b: 2, c: 3 });
    const lookup = batchedLookup(load, 2);
    expect(await Promise.all([lookup('a'), lookup('b'), lookup('c')])).toEqual([1, 2, 3]);
    expect(reads).toEqual([['a', 'b'], ['c']]);
  });

  it('a failed read fails its batch only', async () => {
    let fail = true;
    const lookup = batchedLookup(async (keys: string[]) => {
      if (fail) throw new Error('database gone');
      return new Map(keys.map((key) => [key, key.length]));
    });
    await expect(Promise.all([lookup('a'), lookup('bb')])).rejects.toThrow('database gone');
    fail = false;
    expect(await lookup('bb')).toBe(2);
  });
});
