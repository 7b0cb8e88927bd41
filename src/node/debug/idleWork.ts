// Runs a debug session's idle work (DapSession.idle: the verifier walks the Registers scope needs)
// once the client has sent nothing for a moment, so a walk never sits between a stop and the
// requests that show it, and is done before the user expands Registers (issue 14 follow-up).

/**
 * Quiet time before idle work starts. A stop's requests (threads, stackTrace, scopes, variables) come
 * a few ms apart; a user's click on Registers comes hundreds of ms after the stop.
 */
export const IDLE_QUIET_MS = 100;

export class IdleWork {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  /** `work` returns whether more is left (it runs again after the same quiet time). */
  constructor(
    private readonly work: () => boolean,
    private readonly quietMs = IDLE_QUIET_MS,
  ) {}

  /** The client sent something, or it was answered: idle work waits for quiet again. */
  poke(): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.work()) this.poke();
    }, this.quietMs);
    // Never what keeps a process alive (the CLI's adapter ends with its client).
    this.timer.unref?.();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
