// Remote trace sessions over SSH (issue #7 replaces this).
import type * as vscode from 'vscode';
import { registerNotAvailable } from '../notAvailable';

export function registerCapture(context: vscode.ExtensionContext): void {
  registerNotAvailable(context, 'xdpLab.capture.start', 'Capture XDP Tracepoints on a Remote Host', 7);
  registerNotAvailable(context, 'xdpLab.capture.perfRecord', 'Record XDP Tracepoints with perf on a Remote Host', 7);
  registerNotAvailable(context, 'xdpLab.capture.liveRates', 'Show Live XDP Rates of a Remote Host', 7);
  registerNotAvailable(context, 'xdpLab.capture.stop', 'Stop Capture', 7);
  registerNotAvailable(context, 'xdpLab.capture.open', 'Open Saved Capture', 7);
  registerNotAvailable(context, 'xdpLab.capture.compare', 'Compare Capture with Simulation', 7);
}
