import pino from 'pino';
import { runShutdown, type ShutdownStep } from '../../src/shutdown';

/**
 * A graceful stop runs every named step in order, each to its end or its deadline: a step that fails or hangs
 * is reported and the ones after it still run (a Redis that hangs must not keep the database open).
 */
describe('shutdown steps', () => {
  const logger = pino({ level: 'silent' });

  it('runs every step in order, past one that throws and one that never finishes, and names both', async () => {
    const ran: string[] = [];
    const steps: ShutdownStep[] = [
      { name: 'first', deadlineMs: 500, run: () => ran.push('first') },
      {
        name: 'broken',
        deadlineMs: 500,
        run: async () => {
          ran.push('broken');
          throw new Error('boom');
        },
      },
      { name: 'hung', deadlineMs: 100, run: () => (ran.push('hung'), new Promise(() => undefined)) },
      { name: 'database', deadlineMs: 500, run: async () => void ran.push('database') },
    ];
    const started = Date.now();
    expect(await runShutdown(steps, logger)).toEqual(['broken', 'hung']);
    expect(ran).toEqual(['first', 'broken', 'hung', 'database']);
    // The hung step cost its deadline, not more.
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a step that throws synchronously is caught like one that rejects', async () => {
    const ran: string[] = [];
    const unclean = await runShutdown(
      [
        {
          name: 'sync',
          deadlineMs: 100,
          run: () => {
            throw new Error('at once');
          },
        },
        { name: 'after', deadlineMs: 100, run: () => ran.push('after') },
      ],
      logger,
    );
    expect(unclean).toEqual(['sync']);
    expect(ran).toEqual(['after']);
  });
});
