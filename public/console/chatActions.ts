import { ApiError } from '../shared/http';
import type { Outgoing } from '../shared/outbox';
import type { Message, Session } from '../shared/protocol';
import { clientMessageId } from '../shared/ids';
import { ask } from '../shared/socket';
import { uploadFile } from '../shared/upload';
import { movedNote, type Chat } from './chat';
import type { ChatTabs } from './chatTabs';
import type { ConsoleContext } from './context';
import { describe } from './describe';
import type { TransferTarget } from './conversationView';

/** What the operator does to the chat in front of them: reply, close it, transfer it, or dismiss it once closed. */
export class ChatActions {
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly tabs: ChatTabs,
  ) {}

  /** A reply, or with `internal` a note only the team sees. */
  send(content: string, internal = false): void {
    const chat = this.tabs.selectedChat();
    if (!chat) return;
    const item = chat.outbox.add(content, internal);
    chat.list.addPending(item.clientMessageId, content, internal);
    this.tabs.typing.stop();
    void this.deliver(chat, item);
  }

  /** A file from the composer (attach, drop, paste) to the selected chat, with its progress, or the reason it was refused. */
  sendFile(file: File, internal = false): void {
    const chat = this.tabs.selectedChat();
    if (!chat) return;
    // A pasted screenshot in note mode must not reach the customer as a file.
    if (internal) {
      this.ctx.toast('A note carries text only: turn Note off to send this file to the customer.', true);
      return;
    }
    const id = clientMessageId();
    chat.list.addPendingUpload(id, file);
    uploadFile(`/api/chat/sessions/${encodeURIComponent(chat.session.id)}/messages`, this.ctx.token, file, id, (fraction) => chat.list.uploadProgress(id, fraction))
      .then((message) => chat.list.upsert(message))
      .catch((error: unknown) => chat.list.failUpload(id, error instanceof Error ? error.message : 'The file could not be sent.'));
  }

  /** Sends one reply (again, after a reconnect); kept in the outbox until acknowledged or refused for good. */
  async deliver(chat: Chat, item: Outgoing): Promise<void> {
    const socket = this.ctx.socket;
    if (!socket?.connected) {
      chat.list.failPending(item.clientMessageId);
      return;
    }
    try {
      const message = await ask<Message>(socket, 'message:send', { sessionId: chat.session.id, content: item.content, clientMessageId: item.clientMessageId, ...(item.internal ? { internal: true } : {}) });
      chat.outbox.done(item.clientMessageId);
      chat.list.upsert(message);
    } catch (error) {
      chat.list.failPending(item.clientMessageId);
      if (error instanceof ApiError && error.code !== 'TIMEOUT') {
        chat.outbox.done(item.clientMessageId);
        this.ctx.problem(error);
      }
    }
  }

  async closeSelected(): Promise<void> {
    const socket = this.ctx.socket;
    const chat = this.tabs.selectedChat();
    if (!socket || !chat) return;
    this.tabs.typing.stop();
    try {
      this.tabs.closed(await ask<Session>(socket, 'session:close', { sessionId: chat.session.id }));
    } catch (error) {
      this.ctx.problem(error);
    }
  }

  async transfer(target: TransferTarget): Promise<void> {
    const socket = this.ctx.socket;
    const chat = this.tabs.selectedChat();
    if (!socket || !chat || !this.ctx.me) return;
    this.tabs.typing.stop();
    try {
      const session = await ask<Session>(socket, 'session:transfer', { sessionId: chat.session.id, ...target });
      // session:unassigned may have removed the tab already, with the same note.
      if (session.operatorId !== this.ctx.me.id) this.tabs.removeChat(session.id, movedNote(session));
    } catch (error) {
      this.ctx.problem(error);
    }
  }

  /**
   * Takes a chat: from the queue (session:join), or over from its operator (an admin transfers it to
   * themselves). The tab then holds it like any chat of theirs. Resolves whether it was taken.
   */
  async takeOver(session: Session): Promise<boolean> {
    const socket = this.ctx.socket;
    const me = this.ctx.me;
    if (!socket || !me) return false;
    try {
      // An admin moves it to themselves whatever it is now (the list they acted on may be seconds old); an operator
      // takes it from the queue.
      const taken =
        me.role === 'admin'
          ? await ask<Session>(socket, 'session:transfer', { sessionId: session.id, operatorId: me.id })
          : await ask<Session>(socket, 'session:join', { sessionId: session.id });
      this.tabs.assigned(taken, false);
      this.tabs.updated(taken);
      this.tabs.select(taken.id);
      return true;
    } catch (error) {
      this.ctx.toast(error instanceof ApiError && error.code === 'ALREADY_ASSIGNED' ? 'Another operator took that chat first.' : describe(error), true);
      return false;
    }
  }

  /** The selected chat's labels, replaced; every operator's console hears session:updated. */
  async setLabels(labels: string[]): Promise<void> {
    const chat = this.tabs.selectedChat();
    if (!chat) return;
    try {
      this.tabs.updated(await this.ctx.http.call<Session>('PUT', `/api/chat/sessions/${encodeURIComponent(chat.session.id)}/labels`, { labels }));
    } catch (error) {
      this.ctx.problem(error);
      this.ctx.views?.conversation.redrawLabels();
      this.tabs.updated(chat.session);
    }
  }

  dismiss(): void {
    const selected = this.tabs.selected;
    if (selected) this.tabs.removeChat(selected, null);
  }
}
