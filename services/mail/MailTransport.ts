import type { Transporter } from 'nodemailer';
import type { QueuedMail } from '../../models/queries/outbox';

/** Hands one mail to the mail server; throws when it is not accepted. */
export interface MailTransport {
  send(mail: QueuedMail): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer (SMTP_URL: STARTTLS whenever the server offers it, smtps:// for TLS from the start;
 * options such as `?tls.rejectUnauthorized=false` in the URL). Bounded waits: a mail server that hangs delays
 * that mail's retry, never the chat.
 */
export function smtpTransport(smtpUrl: string, from: string): MailTransport {
  // nodemailer is loaded with the first mail, not at start-up: a restart (a reconnect storm waits on it) does not
  // pay for a library the process may not use for a while.
  let transporter: Transporter | null = null;
  const open = async (): Promise<Transporter> => {
    const { default: nodemailer } = await import('nodemailer');
    transporter ??= nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
    return transporter;
  };
  return {
    async send(mail) {
      await (transporter ?? (await open())).sendMail({
        from,
        to: mail.recipients,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        replyTo: mail.replyTo ?? undefined,
        messageId: mail.messageId,
      });
    },
    close: () => transporter?.close(),
  };
}
