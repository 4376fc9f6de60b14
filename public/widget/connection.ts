import { io, type Socket } from 'socket.io-client';
import { ApiError } from '../shared/http';
import { Outbox, type Outgoing } from '../shared/outbox';
import type { Message, Session } from '../shared/protocol';
import { TRANSPORTS, ask, retryRefused } from '../shared/socket';
import { TypingSender } from '../shared/typing';
import type { ChatView } from './chatView';

/** What the connection reads from the session it serves, and tells it. */
export interface ConnectionHost {
  /** The conversation on screen, if any. */
  view(): ChatView | null;
  /** The panel is closed: nothing in it is being read. */
  hidden(): boolean;
  /** The session has ended: typing is no longer reported. */
  closed(): boolean;
  operatorName(): string;
  /** Operator messages arrived while the panel was closed. */
  unseen(count: number): void;
  queued(position: number): void;
  /** Their operator left or let them wait: back in the queue, at this place. */
  requeued(position: number): void;
  update(session: Session): void;
  /** After a reconnect: the session's state again from the server. */
  reload(): Promise<void>;
  /** The token was refused: nothing to resume. */
  refused(): void;
}

/**
 * Socket.IO /customer for one session: its events, reconnecting (the server's own drops and refused handshakes
 * too), catching up after each reconnect, the messages on their way, typing, and read receipts.
 */
export class Connection {
  private socket: Socket | null = null;
  private typingSender: TypingSender | null = null;
  private readonly outbox = new Outbox();
  private readSent = 0;

  constructor(
    private readonly server: string,
    private readonly host: ConnectionHost,
  ) {}

  open(customerToken: string): void {
    if (this.socket) return;
    const { host } = this;
    const socket = io(`${this.server}/customer`, { auth: { token: customerToken }, reconnectionDelayMax: 5_000, ...TRANSPORTS });
    this.socket = socket;
    this.typingSender = new TypingSender((isTyping) => {
      if (socket.connected && !host.closed()) ask(socket, 'typing', { isTyping }).catch(() => undefined);
    });
    socket.on('connect', () => void this.onConnected(socket));
    socket.on('disconnect', (reason: string) => {
      host.view()?.setConnected(false);
      // A server that stops drops its sockets itself, and Socket.IO does not retry those: another process (or
      // the restarted one) will take the session. A dead token ends in connect_error below.
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1_000);
    });
    socket.on('connect_error', (error: Error) => {
      host.view()?.setConnected(false);
      if (error.message === 'UNAUTHENTICATED') {
        // The session is gone (or its token refused): nothing to resume.
        host.refused();
        return;
      }
      retryRefused(socket, error, () => this.socket === socket);
    });
    socket.on('session:queued', ({ position }: { position: number }) => host.queued(position));
    socket.on('session:requeued', ({ position }: { position: number }) => host.requeued(position));
    socket.on('session:assigned', ({ session, operator }: { session: Session; operator: { id: number; name: string } }) => host.update({ ...session, operator }));
    socket.on('session:transferred', ({ session }: { session: Session }) => host.update(session));
    socket.on('session:closed', ({ session }: { session: Session }) => {
      this.typingSender?.stop();
      host.update(session);
    });
    socket.on('message:new', ({ message }: { message: Message }) => this.receive([message]));
    socket.on('typing', ({ isTyping }: { isTyping: boolean }) => host.view()?.typing.set(isTyping, host.operatorName()));
    socket.on('messages:read', ({ upToId }: { upToId: number }) => host.view()?.list.markReadUpTo(upToId));
  }

  /** A new chat: the socket, the typing state and what waited to be sent go with the old one. */
  close(): void {
    this.socket?.disconnect();
    this.socket = null;
    this.typingSender = null;
    this.outbox.clear();
  }

  /** Every (re)connect: catch up on what was missed, refresh the session's state, send what waited. */
  private async onConnected(socket: Socket): Promise<void> {
    const view = this.host.view();
    if (!view) return;
    view.setConnected(true);
    try {
      const { messages } = await ask<{ messages: Message[] }>(socket, 'messages:sync', { afterId: view.list.lastId() });
      this.receive(messages);
      await this.host.reload();
    } catch {
      // The next reconnect tries again; the socket's own events keep the view current meanwhile.
    }
    for (const item of this.outbox.all()) void this.deliver(item);
  }

  private receive(messages: Message[]): void {
    const view = this.host.view();
    if (!view || messages.length === 0) return;
    const fresh = messages.filter((m) => !view.list.has(m.id));
    view.list.upsert(...messages);
    const fromOperator = fresh.filter((m) => m.senderType === 'operator');
    if (fromOperator.length > 0) {
      view.typing.set(false, this.host.operatorName());
      if (this.host.hidden()) this.host.unseen(fromOperator.length);
    }
    this.markRead();
  }

  /** Read receipts only for what the customer can actually see: panel open, tab visible. */
  markRead(): void {
    const socket = this.socket;
    const view = this.host.view();
    if (!socket?.connected || !view || this.host.hidden() || document.visibilityState !== 'visible') return;
    const upToId = view.list.lastOtherId();
    if (upToId <= this.readSent) return;
    this.readSent = upToId;
    ask(socket, 'messages:read', { upToId }).catch(() => {
      this.readSent = 0;
    });
  }

  /** Another conversation on screen: its receipts start from nothing. */
  resetRead(): void {
    this.readSent = 0;
  }

  keystroke(): void {
    this.typingSender?.keystroke();
  }

  stopTyping(): void {
    this.typingSender?.stop();
  }

  send(content: string): void {
    const item = this.outbox.add(content);
    this.host.view()?.list.addPending(item.clientMessageId, content);
    this.typingSender?.stop();
    void this.deliver(item);
  }

  private async deliver(item: Outgoing): Promise<void> {
    const socket = this.socket;
    if (!socket?.connected) {
      this.host.view()?.list.failPending(item.clientMessageId);
      return;
    }
    try {
      const message = await ask<Message>(socket, 'message:send', { content: item.content, clientMessageId: item.clientMessageId });
      this.outbox.done(item.clientMessageId);
      this.receive([message]);
    } catch (error) {
      this.host.view()?.list.failPending(item.clientMessageId);
      // Refused for good (closed, invalid): retrying would not help.
      if (error instanceof ApiError && error.code !== 'TIMEOUT' && error.code !== 'RATE_LIMITED') this.outbox.done(item.clientMessageId);
    }
  }
}
