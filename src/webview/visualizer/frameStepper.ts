// The Frame tab's instruction stepper: asks the host for one frame's program run in the VM's trace
// mode, moves through its instructions (first, back, next, last, next line, next helper call, a
// clicked row) and keeps the editor on the current instruction's source line without taking focus.
import { visualizerProtocol as P, type TraceReply } from '../../protocol/visualizer';
import type { Endpoint } from '../../protocol/webviewEndpoint';

export interface StepperHost {
  readonly root: HTMLElement;
  readonly endpoint: Endpoint;
  /** Redraws the Frame tab (which reads `trace` and `insn`). */
  renderPanel(): void;
  /** A one-line message in the status line. */
  flash(message: string): void;
}

export type StepAction =
  'insn-first' | 'insn-prev' | 'insn-next' | 'insn-last' | 'line-next' | 'call-next' | 'insn-goto';

export class FrameStepper {
  /** The traced run of the frame on screen (undefined until "trace" is clicked, or another frame is picked). */
  trace: TraceReply | undefined;
  /** Index of the current instruction in `trace.steps`. */
  insn = 0;
  private shownLine = 0;
  private lineChain: Promise<void> = Promise.resolve();

  constructor(private readonly host: StepperHost) {}

  /** Another frame was picked: its trace is asked for again. */
  forget(): void {
    this.trace = undefined;
  }

  async traceFrame(frame: number): Promise<void> {
    try {
      this.trace = await this.host.endpoint.sendRequest(P.traceFrame, { frame });
      this.insn = 0;
      this.shownLine = 0;
      if (!this.trace.ok && this.trace.message) this.host.flash(this.trace.message);
      this.host.renderPanel();
      this.showStepLine();
    } catch (e) {
      this.host.flash(e instanceof Error ? e.message : String(e));
    }
  }

  step(action: StepAction, target: number): void {
    const steps = this.trace?.steps ?? [];
    if (!steps.length) return;
    const k = this.insn;
    const line = steps[k]?.line;
    let next = k;
    if (action === 'insn-first') next = 0;
    else if (action === 'insn-prev') next = k - 1;
    else if (action === 'insn-next') next = k + 1;
    else if (action === 'insn-last') next = steps.length - 1;
    else if (action === 'insn-goto') next = target;
    else if (action === 'line-next') {
      next = steps.findIndex((s, i) => i > k && s.line !== undefined && s.line !== line);
      if (next < 0) next = steps.length - 1;
    } else if (action === 'call-next') {
      next = steps.findIndex((s, i) => i > k && s.call);
      if (next < 0) next = steps.length - 1;
    }
    this.insn = Math.max(0, Math.min(steps.length - 1, Number.isFinite(next) ? next : k));
    this.host.renderPanel();
    this.host.root
      .querySelector<HTMLElement>(`[data-action="${action === 'insn-goto' ? 'insn-next' : action}"]`)
      ?.focus();
    this.showStepLine();
  }

  /** Highlights the current instruction's source line in the editor, keeping focus here. */
  private showStepLine(): void {
    const line = this.trace?.steps[this.insn]?.line;
    const file = this.trace?.file;
    if (!file || !line || line === this.shownLine) return;
    this.shownLine = line;
    // One request at a time, in order: a fast stepper must leave the editor on the last line asked.
    this.lineChain = this.lineChain.then(() =>
      this.host.endpoint.sendRequest(P.openSource, { file, line, preserveFocus: true }).then(
        () => undefined,
        () => undefined,
      ),
    );
  }
}
