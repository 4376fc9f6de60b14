import net from 'node:net';

/** A TCP relay in front of a real service, so a test can make that service vanish and come back. */
export interface TcpProxy {
  port: number;
  /** Drops every relayed connection and refuses new ones, as a service that went down. */
  cut(): Promise<void>;
  /** Stops relaying what clients send (their requests hang unanswered) until `cut`. */
  hold(): void;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** `listenOn`: the address it takes connections on (the machine's own address on a test network, say). */
export async function startTcpProxy(target: { host: string; port: number }, listenOn = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  let holding = false;
  const server = net.createServer((client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    if (holding) client.pause();
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, listenOn, () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      holding = false;
      for (const socket of open) socket.destroy();
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
  const port = await listen(0);
  return {
    port,
    hold: () => {
      holding = true;
      for (const client of clients) client.pause();
    },
    cut: stop,
    restore: async () => {
      await listen(port);
    },
    close: stop,
  };
}
