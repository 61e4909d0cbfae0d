// Announces what needs an operator who is looking at another tab: a new WARNING alert (raised
// at warning, or escalated to it) or a FLASH message from another party. While the tab is in
// the background its title counts them ("(2) ▲ WARNING — deconflict — coalition"); it is
// restored as soon as the tab is shown again. An optional chime (off by default, switched in
// the bar, remembered in this browser) plays at the same moment; it is synthesised with the
// Web Audio API, so no sound file is shipped or fetched.

const SOUND_KEY = 'deconflict.sound';

export class Announcer {
  constructor(baseTitle) {
    this.baseTitle = baseTitle;
    /** Alert ids already seen at warning, and message ids already seen: null until the first
     *  load, which is the baseline (what was there at sign-in is not "new"). */
    this.warnings = null;
    this.messages = null;
    this.pending = { warnings: 0, flash: 0 };
    this.chimes = 0;
    this.sound = localStorage.getItem(SOUND_KEY) === 'on';
    document.title = baseTitle;
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.clear();
    });
  }

  /** Open alerts now: announces those newly at warning. */
  alerts(alerts) {
    const warning = alerts.filter((a) => a.state !== 'resolved' && a.severity === 'warning').map((a) => a.id);
    if (this.warnings === null) {
      this.warnings = new Set(warning);
      return;
    }
    const fresh = warning.filter((id) => !this.warnings.has(id));
    for (const id of fresh) this.warnings.add(id);
    if (fresh.length) this.announce({ warnings: fresh.length });
  }

  /** All messages now: announces FLASH messages from others not seen before. */
  messagesFrom(me, messages) {
    if (this.messages === null) {
      this.messages = new Set(messages.map((m) => m.id));
      return;
    }
    const fresh = messages.filter((m) => !this.messages.has(m.id));
    for (const m of fresh) this.messages.add(m.id);
    const flash = fresh.filter((m) => m.from !== me && m.priority === 'flash').length;
    if (flash) this.announce({ flash });
  }

  announce({ warnings = 0, flash = 0 }) {
    if (!document.hidden) return;
    this.pending.warnings += warnings;
    this.pending.flash += flash;
    const { warnings: w, flash: f } = this.pending;
    const what = [w ? `▲ WARNING${w > 1 ? ` ×${w}` : ''}` : '', f ? `FLASH message${f > 1 ? ` ×${f}` : ''}` : ''].filter(Boolean).join(' · ');
    document.title = `(${w + f}) ${what} — ${this.baseTitle}`;
    if (this.sound) this.chime();
  }

  clear() {
    this.pending = { warnings: 0, flash: 0 };
    document.title = this.baseTitle;
  }

  setSound(on) {
    this.sound = on;
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  }

  /** Two short tones, 880 then 660 Hz. Counted in `document.body.dataset.chimes` (for tests). */
  chime() {
    try {
      this.audio ||= new AudioContext();
      const t = this.audio.currentTime;
      for (const [frequency, at] of [[880, 0], [660, 0.18]]) {
        const tone = this.audio.createOscillator();
        const gain = this.audio.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, t + at);
        gain.gain.exponentialRampToValueAtTime(0.25, t + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + at + 0.16);
        tone.connect(gain).connect(this.audio.destination);
        tone.start(t + at);
        tone.stop(t + at + 0.17);
      }
      this.chimes += 1;
      document.body.dataset.chimes = String(this.chimes);
    } catch (error) {
      console.warn('chime', error);
    }
  }
}
