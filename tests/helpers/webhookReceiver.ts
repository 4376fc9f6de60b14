import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST as the receiver saw it: the raw body (what the signature covers), its headers, and what was answered. */
export interface ReceivedHook {
  raw: string;
  body: { id: string; event: string; occurredAt: string; data: Record<string, unknown> };
  headers: http.IncomingHttpHeaders;
  /** The status answered, or null when the receiver hung. */
  answered: number | null;
  at: number;
}

/** What to answer to the nth request (1-based, over all requests): a status, or 'hang' (never answer). */
export type Responder = (hook: Omit<ReceivedHook, 'answered' | 'at'>, n: number) => number | 'hang';

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Successfully answered (2xx) deliveries, in arrival order. */
  delivered(): ReceivedHook[];
  respond: Responder;
  close(): Promise<void>;
}

/** A local HTTP endpoint standing in for a third-party integration. */
export async function startWebhookReceiver(respond: Responder = () => 200): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const hanging = new Set<http.ServerResponse>();
  const receiver: WebhookReceiver = {
    url: '',
    received,
    delivered: () => received.filter((hook) => hook.answered !== null && hook.answered < 300),
    respond,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const seen = { raw, body: JSON.parse(raw) as ReceivedHook['body'], headers: req.headers };
      const answer = receiver.respond(seen, received.length + 1);
      received.push({ ...seen, answered: answer === 'hang' ? null : answer, at: Date.now() });
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer, { 'Content-Type': 'text/plain' }).end(answer < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
