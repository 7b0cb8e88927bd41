// JSON errors on their spot (issue 12 item 5), in the real extension host: a scenario whose veth
// names an unknown peer gets an XDP Lab diagnostic on that value, and it goes when the value is fixed.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { workspaceUri } from './manifest';

/** The first xdp-lab diagnostics of uri that satisfy pred (waits for the change event, bounded). */
function xdpLabDiagnostics(
  uri: vscode.Uri,
  pred: (d: vscode.Diagnostic[]) => boolean,
): Promise<vscode.Diagnostic[]> {
  const now = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'xdp-lab');
  return new Promise((resolve, reject) => {
    if (pred(now())) return resolve(now());
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no matching diagnostics; have ${JSON.stringify(now().map((d) => d.message))}`));
    }, 20_000);
    const sub = vscode.languages.onDidChangeDiagnostics(() => {
      if (!pred(now())) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(now());
    });
  });
}

suite('JSON errors on their spot', () => {
  test("a scenario's unknown veth peer is marked on the value, and cleared when fixed", async () => {
    const shipped = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(vscode.Uri.joinPath(workspaceUri(), 'redirect.xdpscenario.json')),
    );
    const uri = vscode.Uri.joinPath(workspaceUri(), 'bad-peer.xdpscenario.json');
    await vscode.workspace.fs.writeFile(
      uri,
      new TextEncoder().encode(shipped.replace('"peer": "r1"', '"peer": "nowhere"')),
    );
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      const [d] = await xdpLabDiagnostics(uri, (x) => x.length > 0);
      assert.ok(d);
      assert.equal(doc.getText(d.range), '"nowhere"');
      assert.match(d.message, /\.peer: no device named 'nowhere'/);
      await editor.edit((e) => e.replace(d.range, '"r1"'));
      await xdpLabDiagnostics(uri, (x) => x.length === 0);
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.workspace.fs.delete(uri);
    }
  });
});
