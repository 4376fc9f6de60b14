import type { ComposerWords } from '../shared/composer';
import type { MessageListWords } from '../shared/messageList';

/**
 * Everything the widget says, in one language. Words with values in them are functions, so each language puts
 * the value where its grammar wants it; numbers, times and durations come in already formatted for the locale.
 */
export interface Words extends MessageListWords, ComposerWords {
  /** The writing direction: the panel is mirrored for right-to-left languages. */
  dir: 'ltr' | 'rtl';

  // Launcher and panel.
  chatWithUs: string;
  liveChat: string;
  minimize: string;
  /** The launcher's badge: operator messages that arrived while the panel was closed. */
  unseen(count: number): string;

  // Start and "leave a message" forms.
  checkingOnline: string;
  startTitle: string;
  startIntro: string;
  startButton: string;
  leaveTitle: string;
  /** `why`: nobodyOnline, closedNow or openAgain. */
  leaveIntro(why: string): string;
  leaveButton: string;
  nobodyOnline: string;
  closedNow: string;
  /** `when` is a weekday and time when `weekday` (they open within the week), else a date and time. */
  openAgain(when: string, weekday: boolean): string;
  name: string;
  email: string;
  department: string;
  anyDepartment: string;
  message: string;
  howCanWeHelp: string;

  // The conversation.
  conversation: string;
  reconnecting: string;
  typeAMessage: string;
  /** The composer's name for screen readers. */
  sendAMessage: string;
  endChat: string;
  isTyping(who: string): string;
  /** Who answers when the operator's name is not known. */
  operator: string;

  // The status line.
  chattingWith(operatorName: string): string;
  inQueue: string;
  queuePosition(position: string): string;
  requeued: string;
  estimatedWait(wait: string): string;
  lessThanAMinute: string;
  /** `amount`: "5 minutes", "1 hour", as Intl says it in this language. */
  about(amount: string): string;
  /** After the "leave a message" form; `email` is where the reply goes, when known. */
  leftMessage(email: string | null): string;
  ended: string;

  // After the chat.
  rateThisChat: string;
  howWasThisChat: string;
  stars(count: number): string;
  comment: string;
  sendRating: string;
  thanks: string;
  newChat: string;

  // Problems.
  /** A refusal (or a network failure) by its error code; `said` is the server's own message, in English. */
  problem(code: string, said: string): string;
  /** Why a file was not sent, by its error code; `said` is the reason in English. */
  fileRefused(code: string, said: string): string;
  somethingWentWrong: string;
  tryAgain: string;
}
