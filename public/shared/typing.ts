/** How long after the last keystroke "typing" turns off, and how long a received "typing" may last unrenewed. */
const IDLE_MS = 2_500;
const SHOWN_MAX_MS = 8_000;

/** Sends isTyping true on the first keystroke and false once the keys rest (or on send), once per change. */
export class TypingSender {
  private typing = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly send: (isTyping: boolean) => void) {}

  keystroke(): void {
    if (!this.typing) {
      this.typing = true;
      this.send(true);
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stop(), IDLE_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
    if (!this.typing) return;
    this.typing = false;
    this.send(false);
  }
}

/** "Olga is typing…": hides itself if the "stopped" never arrives (a dropped connection). */
export class TypingIndicator {
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `text`: the sentence in the page's language (the widget's locale); English unless given. */
  constructor(
    readonly root: HTMLElement,
    private readonly text: (who: string) => string = (who) => `${who} is typing…`,
  ) {
    root.hidden = true;
  }

  set(isTyping: boolean, who: string): void {
    clearTimeout(this.timer);
    this.root.textContent = isTyping ? this.text(who) : '';
    this.root.hidden = !isTyping;
    if (isTyping) this.timer = setTimeout(() => this.set(false, who), SHOWN_MAX_MS);
  }
}
