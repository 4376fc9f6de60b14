import { retryAt } from '../../services/mail/OutboxWorker';

/** PROTOCOL.md "Email": the first retry within 5 s, doubling up to 5 minutes, for 24 hours, then given up. */
describe('when a mail that failed is tried again', () => {
  const created = new Date('2026-12-04T12:00:00Z');
  const after = (ms: number) => new Date(created.getTime() + ms);
  const delay = (attempts: number, now: Date) => (retryAt({ attempts, createdAt: created }, now)?.getTime() ?? Number.NaN) - now.getTime();

  it('5 s after the first failure, doubling each time, never more than 5 minutes apart', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => delay(n, after(1_000)))).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('not after 24 hours: then the mail is marked failed', () => {
    expect(retryAt({ attempts: 300, createdAt: created }, after(24 * 3_600_000 - 400_000))).not.toBeNull();
    expect(retryAt({ attempts: 300, createdAt: created }, after(24 * 3_600_000 - 200_000))).toBeNull();
  });
});
