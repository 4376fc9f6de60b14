import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { Namespace } from 'socket.io';
import { Peers, type Subscriber } from '../../src/realtime/peers';

/**
 * The order of a count's answer, a newcomer's hello and a reconnect cannot be forced with real processes
 * (they race over several Redis connections), so this drives Peers through a namespace whose adapter answers
 * counts when told to, and a subscriber whose pings answer at once.
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
    await settle();
  }
}

class FakeSubscriber extends EventEmitter implements Subscriber {
  ping(): Promise<string> {
    return Promise.resolve('PONG');
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Peers: whether other processes listen', () => {
  let namespace: FakeNamespace;
  let subscriber: FakeSubscriber;
  let peers: Peers;

  /** Subscribed (hello said), and counted alone once. */
  async function alone(): Promise<void> {
    subscriber.emit('ready');
    await settle();
    await namespace.answer(1);
    expect(peers.present).toBe(false);
  }

  beforeEach(() => {
    namespace = new FakeNamespace();
    subscriber = new FakeSubscriber();
    peers = new Peers(namespace as unknown as Namespace, subscriber, pino({ level: 'silent' }));
    peers.start();
  });
  afterEach(() => peers.stop());

  it('assumes peers until subscribed and counted; says hello once subscribed', async () => {
    expect(peers.present).toBe(true);
    await peers.count();
    expect(namespace.counts).toHaveLength(0);
    subscriber.emit('ready');
    await settle();
    expect(namespace.sent).toEqual(['process:hello']);
    await expect(peers.announced).resolves.toBeUndefined();
    await namespace.answer(2);
    expect(peers.present).toBe(true);
    void peers.count();
    await namespace.answer(1);
    expect(peers.present).toBe(false);
  });

  it("a newcomer's hello makes peers present at once, before any count", async () => {
    await alone();
    namespace.emit('process:hello');
    expect(peers.present).toBe(true);
  });

  it('a count asked before a hello arrived does not undo it', async () => {
    await alone();
    void peers.count();
    namespace.emit('process:hello');
    await namespace.answer(1);
    expect(peers.present).toBe(true);
    // A count asked after the hello may say alone again (the newcomer has gone).
    void peers.count();
    await namespace.answer(1);
    expect(peers.present).toBe(false);
  });

  it('while its own subscriber is down, and for counts asked before it came back, peers are assumed', async () => {
    await alone();
    void peers.count();
    subscriber.emit('close');
    expect(peers.present).toBe(true);
    // The count that was under way answers "1": that may be another process, with this one counted out.
    await namespace.answer(1);
    expect(peers.present).toBe(true);
    await peers.count();
    expect(namespace.counts).toHaveLength(0);
    // Subscribed again: hello again, and counts are believed again.
    subscriber.emit('ready');
    await settle();
    expect(namespace.sent).toEqual(['process:hello', 'process:hello']);
    await namespace.answer(1);
    expect(peers.present).toBe(false);
  });

  it('a count that fails assumes peers', async () => {
    await alone();
    void peers.count();
    await namespace.answer(new Error('redis down'));
    expect(peers.present).toBe(true);
  });

  it('says nothing once stopped', async () => {
    peers.stop();
    subscriber.emit('ready');
    await settle();
    expect(namespace.sent).toEqual([]);
  });
});
