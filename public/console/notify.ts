/**
 * Telling an operator a chat arrived while they look elsewhere: a short tone and a desktop notification when
 * allowed (the unread count in the tab's title is ChatTabs').
 */
export class Notifier {
  private audio: AudioContext | null = null;

  constructor() {
    // Browsers let a page make sound only after the user interacted with it: prepare the audio on the first click.
    document.addEventListener('pointerdown', () => this.unlock(), { once: true });
    document.addEventListener('keydown', () => this.unlock(), { once: true });
  }

  get canAsk(): boolean {
    return 'Notification' in window && Notification.permission === 'default';
  }

  async askPermission(): Promise<void> {
    if (this.canAsk) await Notification.requestPermission();
  }

  notify(title: string, body: string): void {
    this.beep();
    if ('Notification' in window && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
      const note = new Notification(title, { body, tag: 'livechat-console' });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    }
  }

  private unlock(): void {
    if (!this.audio && 'AudioContext' in window) this.audio = new AudioContext();
  }

  private beep(): void {
    const audio = this.audio;
    if (!audio) return;
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.35);
  }
}
