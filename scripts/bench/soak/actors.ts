import { io, type Socket } from 'socket.io-client';
import { sleep } from '../harness';
import type { Recorder } from './recorder';

/**
 * The soak's people: customers who arrive, chat and leave, and operators (bots on a socket each) who answer,
 * write notes, transfer and close. Every ack is timed; what a race may legitimately refuse (a reply to a chat the
 * customer just closed, a transfer to a colleague who just filled up) is counted as refused, anything else as an
 * error.
 */

const ACK_TIMEOUT_MS = 10_000;
/** Codes an honest race produces between independent people: told to the client, not a fault of the server. */
const RACE_CODES = new Set(['SESSION_CLOSED', 'OPERATOR_AT_CAPACITY', 'ALREADY_ASSIGNED', 'FORBIDDEN']);

interface Ack<T> {
  ok: boolean;
  data?: T;
  error?: { code: string };
}

interface Message {
  id: number;
  sessionId: string;
  senderType: string;
}

interface SessionShape {
  id: string;
  status: string;
  operator: { id: number } | null;
}

const between = (low: number, high: number): number => low + Math.random() * (high - low);

/** Shared by everyone in the run: the counters, the operators by id, and the prefix of every clientMessageId. */
export interface Crowd {
  recorder: Recorder;
  keyPrefix: string;
  operators: Map<number, OperatorBot>;
  /** Messages a customer must find in its session's history: operators' replies and files (never notes), by session. */
  visible: Map<string, Set<number>>;
  refused: Map<string, number>;
}

let sequence = 0;
const nextKey = (crowd: Crowd, who: string): string => `${crowd.keyPrefix}${who}-${++sequence}`;

/** An event with its ack, timed; the ack's data, or null when it was refused or failed (counted either way). */
async function ask<T>(crowd: Crowd, socket: Socket, what: string, event: string, payload: unknown): Promise<{ data: T; ms: number } | null> {
  const started = performance.now();
  try {
    const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Ack<T>;
    if (ack.ok) return { data: ack.data as T, ms: performance.now() - started };
    const code = ack.error?.code ?? 'no code';
    if (RACE_CODES.has(code)) crowd.refused.set(`${what}: ${code}`, (crowd.refused.get(`${what}: ${code}`) ?? 0) + 1);
    else crowd.recorder.error(`${what}: ${code}`);
  } catch (error) {
    crowd.recorder.error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return null;
}

/** A message sent and acknowledged: timed, and kept for the database check. */
async function send(crowd: Crowd, socket: Socket, who: string, payload: Record<string, unknown>, sessionId: string): Promise<Message | null> {
  const clientMessageId = nextKey(crowd, who);
  const answer = await ask<Message>(crowd, socket, `${who} message:send`, 'message:send', { ...payload, clientMessageId });
  if (!answer) return null;
  crowd.recorder.messages.add(crowd.recorder.now(), answer.ms);
  crowd.recorder.acked.set(clientMessageId, { id: answer.data.id, sessionId });
  return answer.data;
}

function connect(base: string, namespace: string, token: string): Promise<Socket> {
  const socket = io(`${base}${namespace}`, { auth: { token }, transports: ['websocket'], reconnection: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

export class OperatorBot {
  private readonly held = new Set<string>();

  private constructor(
    readonly id: number,
    readonly token: string,
    private readonly socket: Socket,
    private readonly crowd: Crowd,
  ) {
    socket.on('session:assigned', ({ session }: { session: SessionShape }) => this.held.add(session.id));
    socket.on('session:unassigned', ({ session }: { session: SessionShape }) => this.held.delete(session.id));
    socket.on('session:closed', ({ session }: { session: SessionShape }) => this.held.delete(session.id));
    socket.on('message:new', ({ message }: { message: Message }) => {
      if (message.senderType === 'customer' && this.held.has(message.sessionId)) void this.answer(message.sessionId);
    });
  }

  static async start(base: string, id: number, token: string, crowd: Crowd): Promise<OperatorBot> {
    const bot = new OperatorBot(id, token, await connect(base, '/operator', token), crowd);
    if (!(await ask(crowd, bot.socket, 'operator status:set', 'status:set', { status: 'online' }))) throw new Error(`operator ${id} could not go online`);
    return bot;
  }

  /** One of the chats this operator holds now, if any. */
  someHeld(): string | undefined {
    const held = [...this.held];
    return held[Math.floor(Math.random() * held.length)];
  }

  close(sessionId: string): Promise<unknown> {
    return ask(this.crowd, this.socket, 'operator session:close', 'session:close', { sessionId });
  }

  stop(): void {
    this.socket.close();
  }

  /** A reply after a moment's reading; now and then a note for the team first, or the chat handed to a colleague. */
  private async answer(sessionId: string): Promise<void> {
    const { crowd } = this;
    await sleep(between(100, 600));
    if (Math.random() < 0.1 && (await send(crowd, this.socket, 'note', { sessionId, content: 'Checking the order system for this one.', internal: true }, sessionId))) crowd.recorder.notes++;
    const reply = await send(crowd, this.socket, 'operator', { sessionId, content: 'Thanks, let me look into that for you.' }, sessionId);
    if (reply) visibleTo(crowd, sessionId, reply.id);
    if (Math.random() < 0.03) {
      const others = [...crowd.operators.keys()].filter((id) => id !== this.id);
      const operatorId = others[Math.floor(Math.random() * others.length)];
      if (operatorId !== undefined && (await ask(crowd, this.socket, 'operator session:transfer', 'session:transfer', { sessionId, operatorId }))) crowd.recorder.transfers++;
    }
  }
}

export function visibleTo(crowd: Crowd, sessionId: string, messageId: number): void {
  const ids = crowd.visible.get(sessionId) ?? new Set<number>();
  ids.add(messageId);
  crowd.visible.set(sessionId, ids);
}

/**
 * One customer's visit: starts a chat (timed: creation + routing), sends a few messages a few seconds apart,
 * reads the whole conversation back (every message it sent, saw or was answered with must be there), then leaves:
 * usually closing the chat, sometimes leaving it to the operator to close; half of them rate it.
 */
export async function customerVisit(base: string, n: number, crowd: Crowd): Promise<void> {
  const { recorder } = crowd;
  const started = performance.now();
  let created: { session: SessionShape; customerToken: string };
  try {
    const res = await fetch(`${base}/api/chat/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerName: `Soak customer ${n}`, customerEmail: `soak-${n}@example.com` }),
    });
    const body = (await res.json()) as { data: { session: SessionShape; customerToken: string } };
    if (res.status !== 201) throw new Error(`HTTP ${res.status}`);
    created = body.data;
  } catch (error) {
    recorder.error(`customer POST /sessions: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  recorder.routing.add(recorder.now(), performance.now() - started);
  const sessionId = created.session.id;
  let socket: Socket;
  try {
    socket = await connect(base, '/customer', created.customerToken);
  } catch (error) {
    recorder.error(`customer connect: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  let operatorId = created.session.operator?.id ?? null;
  const seen = new Set<number>();
  const mine = new Set<number>();
  socket.on('session:assigned', ({ operator }: { operator: { id: number } }) => (operatorId = operator.id));
  socket.on('session:transferred', ({ operator }: { operator: { id: number } | null }) => (operatorId = operator?.id ?? null));
  socket.on('message:new', ({ message }: { message: Message }) => seen.add(message.id));
  try {
    const messages = Math.floor(between(4, 9));
    for (let i = 0; i < messages; i++) {
      await sleep(between(800, 2500));
      const sent = await send(crowd, socket, 'customer', { content: `Question ${i + 1}: where is my order #${n}?` }, sessionId);
      if (sent) mine.add(sent.id);
    }
    await sleep(1500);
    const expected = new Set([...mine, ...seen, ...(crowd.visible.get(sessionId) ?? [])]);
    const history = await ask<{ messages: Message[] }>(crowd, socket, 'customer messages:sync', 'messages:sync', { afterId: 0 });
    if (history) {
      const got = new Set(history.data.messages.map((m) => m.id));
      for (const id of expected) if (!got.has(id)) recorder.missingFromSync++;
    }
    const holder = operatorId === null ? undefined : crowd.operators.get(operatorId);
    if (holder && Math.random() < 0.3) await holder.close(sessionId);
    else await ask(crowd, socket, 'customer session:close', 'session:close', {});
    if (Math.random() < 0.5) await ask(crowd, socket, 'customer session:rate', 'session:rate', { rating: 1 + Math.floor(Math.random() * 5) });
    recorder.customersDone++;
  } finally {
    socket.close();
    crowd.visible.delete(sessionId);
  }
}
