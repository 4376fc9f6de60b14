import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { startTcpProxy, type TcpProxy } from './tcpProxy';
import { waitFor } from './wait';

/**
 * A real SMTP server in this process (smtp-server): STARTTLS offered (its built-in certificate), AUTH required,
 * every accepted mail parsed with mailparser. It can refuse mail for a while (451), drop the connection in the
 * middle of a message, and be stopped and started again on the same port (a mail server that is down). Clients
 * reach it through a TCP relay, which is what drops their connection.
 */
export interface Mailbox {
  /** SMTP_URL for the chat server: credentials, and the test certificate accepted. */
  readonly url: string;
  readonly mails: ParsedMail[];
  /** While true, every mail is answered 451 (try again later). */
  refusing: boolean;
  /** The next this many mails lose their connection as soon as their first bytes of DATA arrive (never accepted). */
  dropMidMessage: number;
  /** Resolves with the first mail (already come or still to come) that `match` accepts. */
  next(match: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export const SMTP_USER = 'chat-server';
export const SMTP_PASSWORD = 'smtp-secret-password';

export async function startMailbox(): Promise<Mailbox> {
  let server: SMTPServer | null = null;
  let port = 0;
  let relay: TcpProxy | null = null;
  const dropConnections = async (): Promise<void> => {
    await relay?.cut();
    await relay?.restore();
  };
  const box: Mailbox = {
    get url() {
      return `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${relay?.port ?? 0}/?tls.rejectUnauthorized=false`;
    },
    mails: [],
    refusing: false,
    dropMidMessage: 0,
    async next(match, timeoutMs = 15_000) {
      return waitFor(() => box.mails.find(match), timeoutMs, 'a mail');
    },
    async stop() {
      const running = server;
      server = null;
      await relay?.cut();
      await new Promise<void>((resolve) => (running ? running.close(() => resolve()) : resolve()));
    },
    async start() {
      const smtp = new SMTPServer({
        logger: false,
        authOptional: false,
        onAuth(auth, _session, callback) {
          if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
          else callback(new Error('Invalid username or password'));
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          let dropped = false;
          stream.on('data', (chunk: Buffer) => {
            if (chunks.length === 0 && box.dropMidMessage > 0) {
              box.dropMidMessage -= 1;
              dropped = true;
              void dropConnections();
            }
            chunks.push(chunk);
          });
          stream.on('end', () => {
            if (dropped) return;
            if (!session.secure) return callback(Object.assign(new Error('Must issue a STARTTLS command first'), { responseCode: 530 }));
            if (box.refusing) return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
            simpleParser(Buffer.concat(chunks))
              .then((mail) => {
                box.mails.push(mail);
                callback();
              })
              .catch((error: Error) => callback(error));
          });
        },
      });
      server = smtp;
      await new Promise<void>((resolve, reject) => {
        smtp.once('error', reject);
        smtp.listen(port, '127.0.0.1', () => {
          port = (smtp.server.address() as AddressInfo).port;
          resolve();
        });
      });
      if (relay) await relay.restore();
      else relay = await startTcpProxy({ host: '127.0.0.1', port });
    },
  };
  await box.start();
  return box;
}
