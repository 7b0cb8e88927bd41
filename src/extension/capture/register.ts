// Remote trace sessions over SSH (issue #7): the xdpLab.capture.* commands. Only registration
// happens at activation; the capture code (ssh, probe, panel) loads on the first command.
import * as vscode from 'vscode';
import { output } from '../output';
import { registerCaptureSerializer } from './capturePanel';

type CaptureModule = typeof import('./captureCommands');
let loaded: Promise<CaptureModule> | undefined;
const load = (): Promise<CaptureModule> => (loaded ??= import('./captureCommands'));

function guarded(body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      output().error(`capture: ${message}`);
      void vscode.window.showErrorMessage(`XDP Lab: ${message}`);
    }
  };
}

export function registerCapture(context: vscode.ExtensionContext): void {
  registerCaptureSerializer(context);
  const reg = (id: string, body: (...args: unknown[]) => Promise<void>): void => {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) => guarded(() => body(...args))()),
    );
  };
  reg('xdpLab.capture.start', async () => (await load()).startCapture(context, 'counts'));
  reg('xdpLab.capture.perfRecord', async () => (await load()).startCapture(context, 'perf'));
  reg('xdpLab.capture.fleet', async () => (await import('./fleetCapture')).startFleetCapture(context));
  reg('xdpLab.capture.liveRates', async () => (await load()).startCapture(context, 'rates'));
  reg('xdpLab.scenario.importHost', async () => (await import('./importHost')).importHostScenario(context));
  reg('xdpLab.capture.stop', async () => (await load()).stopCapture());
  reg('xdpLab.capture.open', async (uri) =>
    (await load()).openCapture(context, uri instanceof vscode.Uri ? uri : undefined),
  );
  reg('xdpLab.capture.compare', async (uri, scenario) => {
    // From a menu: the capture file clicked; from the palette: the capture file in the editor, if
    // any, else the capture panel shown last.
    const active = vscode.window.activeTextEditor?.document.uri;
    const capture =
      uri instanceof vscode.Uri
        ? uri
        : active && /\.xdpcapture\.json$/.test(active.path)
          ? active
          : undefined;
    await (
      await load()
    ).compareCapture(context, capture, scenario instanceof vscode.Uri ? scenario : undefined);
  });
}
