// The xdp-lab debug configuration provider in the real extension host (issue 14): a launch without
// `program`, with a scenario in the editor, is filled with the program on frame 1's receiving device
// and that frame, and the session it starts runs it (the Debug Console names the frame).
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { workspaceUri, xdpLabExtension } from './manifest';

suite('XDP debugger configuration', () => {
  test('F5 in a scenario debugs its first frame with the program of the device that receives it', async () => {
    await xdpLabExtension().activate();
    const uri = vscode.Uri.joinPath(workspaceUri(), 'redirect.xdpscenario.json');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const started = new Promise<vscode.DebugSession>((resolve) => {
      const d = vscode.debug.onDidStartDebugSession((s) => {
        d.dispose();
        resolve(s);
      });
    });
    const ok = await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), {
      type: 'xdp-lab',
      request: 'launch',
      name: 'F5 in a scenario',
      stopOnEntry: true,
    });
    assert.ok(ok, 'the debugger did not start');
    const session = await started;
    const cfg = session.configuration as { program?: string; function?: string; frame?: unknown };
    assert.ok(cfg.program?.endsWith('redirect.bpf.c'), `program: ${cfg.program}`);
    assert.equal(cfg.function, 'xdp_redirect_udp');
    assert.deepEqual(cfg.frame, { scenario: uri.fsPath, index: 1 });
    await vscode.debug.stopDebugging(session);
  });
});
