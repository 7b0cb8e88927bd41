// "XDP Lab: Configure clangd for BPF" in the real extension host (issue 12 item 4): a folder without a
// .clangd gets XDP Lab's fragment at once, and a second run finds it already there. The real clangd
// reading that file is test/lsp/clangd.test.ts.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { workspaceUri } from './manifest';

suite('clangd beside XDP Lab', () => {
  test('Configure clangd for BPF writes .clangd with -target bpf for BPF files', async () => {
    const folder = vscode.Uri.joinPath(workspaceUri(), 'clangd-test');
    await vscode.workspace.fs.createDirectory(folder);
    try {
      const written = await vscode.commands.executeCommand<vscode.Uri | undefined>(
        'xdpLab.clangd.configure',
        folder,
      );
      assert.equal(written?.toString(), vscode.Uri.joinPath(folder, '.clangd').toString());
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(written));
      assert.match(text, /^# XDP Lab: clangd flags for BPF programs$/m);
      assert.match(text, /^ {2}PathMatch: \['\.\*\\\.bpf\\\.\[ch\]'\]$/m);
      assert.match(text, /^ {2}Add: \[-target, bpf, /m);
      // Run again: nothing to change, the file is the same.
      await vscode.commands.executeCommand('xdpLab.clangd.configure', folder);
      assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(written)), text);
    } finally {
      await vscode.workspace.fs.delete(folder, { recursive: true });
    }
  });
});
