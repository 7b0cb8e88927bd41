// Plays the timeline: moves the cursor at `speed` events per second on requestAnimationFrame,
// carrying the fraction of an event between frames, and stops at the last event. The app owns the
// cursor; the player asks it to move and tells it when playing starts or stops (to redraw controls).
export interface PlayerHost {
  /** Events in the timeline. */
  length(): number;
  cursor(): number;
  setCursor(t: number): void;
  /** Puts the cursor before the first event without redrawing (the first tick draws). */
  rewind(): void;
  /** Playing started or stopped. */
  changed(playing: boolean): void;
}

export class TimelinePlayer {
  playing = false;
  speed = 50;
  private lastTick = 0;
  private carry = 0;

  constructor(private readonly host: PlayerHost) {}

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  play(): void {
    const n = this.host.length();
    if (!n) return;
    // At the end, playing starts again from before the first event.
    if (this.host.cursor() >= n - 1) this.host.rewind();
    this.playing = true;
    this.lastTick = performance.now();
    this.carry = 0;
    this.host.changed(true);
    requestAnimationFrame((ts) => this.tick(ts));
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    this.host.changed(false);
  }

  private tick(now: number): void {
    if (!this.playing) return;
    const n = this.host.length();
    this.carry += ((now - this.lastTick) / 1000) * this.speed;
    this.lastTick = now;
    const step = Math.floor(this.carry);
    if (step > 0) {
      this.carry -= step;
      this.host.setCursor(this.host.cursor() + step);
    }
    if (this.host.cursor() >= n - 1) {
      this.pause();
      return;
    }
    requestAnimationFrame((ts) => this.tick(ts));
  }
}
