import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { Namespace } from 'socket.io';
import { Peers } from '../../src/realtime/peers';

/**
 * The order of a count's answer and a newcomer's hello cannot be forced with real processes (they race over
 * two Redis connections), so this drives Peers through a namespace whose adapter answers when told to.
 */
class FakeNamespace extends EventEmitter {
  readonly counts: Array<{ resolve: (servers: number) => void; reject: (error: Error) => void }> = [];
  readonly sent: string[] = [];
  readonly adapter = {
    serverCount: (): Promise<number> => new Promise((resolve, reject) => this.counts.push({ resolve, reject })),
  };

  serverSideEmit(event: string): void {
    this.sent.push(event);
  }

  /** Answers the oldest count still waiting, and lets Peers read it. */
  async answer(servers: number | Error): Promise<void> {
    const count = this.counts.shift();
    if (!count) throw new Error('no count is waiting');
    if (servers instanceof Error) count.reject(servers);
    else count.resolve(servers);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2));

describe('Peers: whether other processes listen', () => {
  let namespace: FakeNamespace;
  let peers: Peers;

  beforeEach(() => {
    namespace = new FakeNamespace();
    peers = new Peers(namespace as unknown as Namespace, pino({ level: 'silent' }));
  });
  afterEach(() => peers.stop());

  it('says hello when started and assumes peers until a count says otherwise', async () => {
    expect(peers.present).toBe(true);
    peers.start();
    expect(namespace.sent).toEqual(['process:hello']);
    expect(peers.present).toBe(true);
    await namespace.answer(1);
    expect(peers.present).toBe(false);
  });

  it("a newcomer's hello makes peers present at once, before any count", async () => {
    peers.start();
    await namespace.answer(1);
    expect(peers.present).toBe(false);
    namespace.emit('process:hello');
    expect(peers.present).toBe(true);
  });

  it('a count asked before a hello arrived does not undo it', async () => {
    peers.start();
    await namespace.answer(1);
    await tick();
    // The next count is asked (here: by hand, as the interval would), then the newcomer's hello arrives,
    // then the count answers with what Redis saw before the newcomer subscribed.
    void peers.count();
    await tick();
    namespace.emit('process:hello');
    await namespace.answer(1);
    expect(peers.present).toBe(true);
    // A count asked after the hello may say alone again (the newcomer has gone).
    await tick();
    void peers.count();
    await namespace.answer(1);
    expect(peers.present).toBe(false);
  });

  it('a count that fails assumes peers', async () => {
    peers.start();
    await namespace.answer(1);
    expect(peers.present).toBe(false);
    void peers.count();
    await namespace.answer(new Error('redis down'));
    expect(peers.present).toBe(true);
  });
});
