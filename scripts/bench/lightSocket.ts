import WebSocket from 'ws';

/**
 * A minimal Socket.IO v4 client for the message path of `bench:realtime`: one namespace over a plain
 * WebSocket (Engine.IO v4 framing, text packets), emits with acknowledgements, server events by name, and
 * answers the server's pings. Nothing else: no reconnection, no binary packets, no polling, no default
 * namespace (whose packets carry no namespace), no disconnect packet (closing is the transport's close).
 *
 * Why not socket.io-client: the load generator shares the machine's two cores with the server it measures.
 * socket.io-client costs about 0.2 ms of CPU per message at 2,000 msg/s (three packets in, one out); this
 * skips what it does besides framing and JSON (its emitter layers, per-packet binary scans) and does not even
 * parse the events a listener ignores. The servers see the same packets either way.
 */

export type Listener = (payload: unknown) => void;

/** How long the namespace connect may take before it fails. */
const CONNECT_TIMEOUT_MS = 60_000;

export class LightSocket {
  private readonly acks = new Map<number, (reply: unknown) => void>();
  private readonly listeners = new Map<string, Listener>();
  private nextAck = 0;
  private readonly prefix: string;

  private constructor(
    private readonly ws: WebSocket,
    namespace: string,
  ) {
    this.prefix = `${namespace},`;
  }

  /** Opens the WebSocket and connects to `namespace` with `auth`; rejects with the server's connect_error message. */
  static connect(origin: string, namespace: string, auth: Record<string, unknown>): Promise<LightSocket> {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const socket = new LightSocket(ws, namespace);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      };
      ws.once('error', fail);
      ws.once('close', () => fail(new Error('closed before connecting')));
      ws.on('message', (data: WebSocket.RawData) => {
        const text = data.toString();
        if (text.startsWith('0')) ws.send(`40${namespace},${JSON.stringify(auth)}`);
        else if (text.startsWith(`40${socket.prefix}`)) {
          clearTimeout(timer);
          ws.off('error', fail);
          ws.removeAllListeners('close');
          ws.on('error', () => undefined);
          ws.removeAllListeners('message');
          ws.on('message', (packet: WebSocket.RawData) => socket.receive(packet.toString()));
          resolve(socket);
        } else if (text.startsWith(`44${socket.prefix}`)) {
          fail(new Error((JSON.parse(text.slice(2 + socket.prefix.length)) as { message?: string }).message ?? 'connect_error'));
        } else if (text === '2') ws.send('3');
      });
    });
  }

  /** `event` with `payload`; `ack` gets the server's acknowledgement. */
  emit(event: string, payload: unknown, ack: (reply: unknown) => void): void {
    const id = this.nextAck++;
    this.acks.set(id, ack);
    this.ws.send(`42${this.prefix}${id}${JSON.stringify([event, payload])}`);
  }

  emitWithAck(event: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack to ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.emit(event, payload, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  /** One listener per event name; events without one are dropped unparsed. */
  on(event: string, listener: Listener): void {
    this.listeners.set(event, listener);
  }

  disconnect(): void {
    this.ws.close();
  }

  private receive(text: string): void {
    if (text === '2') {
      this.ws.send('3');
      return;
    }
    const type = text.slice(0, 2);
    if (!text.startsWith(this.prefix, 2)) return;
    const body = text.slice(2 + this.prefix.length);
    if (type === '43') {
      const open = body.indexOf('[');
      const id = Number(body.slice(0, open));
      const ack = this.acks.get(id);
      if (!ack) return;
      this.acks.delete(id);
      ack((JSON.parse(body.slice(open)) as unknown[])[0]);
    } else if (type === '42') {
      // `["name",payload]`: the name is read without parsing the payload of an event nobody listens to.
      const end = body.indexOf('"', 2);
      const listener = this.listeners.get(body.slice(2, end));
      if (listener) listener((JSON.parse(body) as unknown[])[1]);
    }
  }
}
