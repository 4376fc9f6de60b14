import validator from 'validator';
import type { SettingReaders } from './attachments';

/** Outgoing mail (PROTOCOL.md "Email"): present only when SMTP_URL and MAIL_FROM are both set. */
export interface MailConfig {
  /** smtp:// or smtps:// with credentials; STARTTLS is used whenever the server offers it. */
  smtpUrl: string;
  /** The From address; its domain also names the reply addresses (reply+<session>.<signature>@domain). */
  from: string;
  /** Told of offline messages when neither the settings nor the session's department name anyone. */
  offlineNotifyEmails: string[];
  /** Where the console lives, for links in mails; null: the origin of the request that caused the mail. */
  publicUrl: string | null;
  /** An operator's answer is mailed to a customer not connected for this long. */
  replyDelaySeconds: number;
  /** The Bearer secret of POST /api/inbound/email; unset: every inbound mail is refused (401). */
  inboundSecret: string | null;
}

/** `chat@example.com`, or with the name mail programs show: `Acme Support <chat@example.com>`. */
function isSender(from: string): boolean {
  const named = /^[^<>"\r\n]*<([^<>\s]+)>$/.exec(from.trim());
  return validator.isEmail(named ? (named[1] as string) : from);
}

export function readMailConfig({ raw, int, problems }: SettingReaders, jwtSecretSet: boolean): MailConfig | null {
  const smtpUrl = raw('SMTP_URL');
  const from = raw('MAIL_FROM');
  const notify = (raw('OFFLINE_NOTIFY_EMAILS') ?? '')
    .split(',')
    .map((email) => email.trim())
    .filter((email) => email !== '');
  for (const email of notify) if (!validator.isEmail(email)) problems.push(`OFFLINE_NOTIFY_EMAILS must be a comma-separated list of email addresses, got "${email}"`);
  const publicUrl = raw('PUBLIC_URL')?.replace(/\/+$/, '') ?? null;
  if (publicUrl !== null && !/^https?:\/\/[^\s/]+/.test(publicUrl)) problems.push(`PUBLIC_URL must be an http:// or https:// URL, got "${publicUrl}"`);
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^\s]+$/.test(smtpUrl)) {
    // Not echoed: the URL carries the password.
    problems.push('SMTP_URL must be an smtp:// or smtps:// URL');
  }
  if (from !== undefined && !isSender(from)) problems.push(`MAIL_FROM must be an email address, alone or as "Name <address>", got "${from}"`);
  if (smtpUrl !== undefined && from === undefined) problems.push('MAIL_FROM is required when SMTP_URL is set (the sender of every mail)');
  const replyDelaySeconds = int('EMAIL_REPLY_DELAY_SECONDS', 120, 0, 86_400);
  const inboundSecret = raw('INBOUND_EMAIL_SECRET') ?? null;
  if (inboundSecret !== null && inboundSecret.length < 16) problems.push('INBOUND_EMAIL_SECRET must be at least 16 characters');
  // Reply addresses are signed with it: a random one per process would void every address already mailed.
  if (smtpUrl !== undefined && !jwtSecretSet) problems.push('JWT_SECRET is required when SMTP_URL is set (reply addresses are signed with it)');
  if (smtpUrl === undefined || from === undefined) return null;
  return { smtpUrl, from, offlineNotifyEmails: notify, publicUrl, replyDelaySeconds, inboundSecret };
}
