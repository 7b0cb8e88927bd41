// The foundation's first extension-host suite: the packaged extension is present, activates on
// the example XDP C file, and registers every command its manifest contributes (issue #2).
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { contributedCommands, workspaceUri, xdpLabExtension } from './manifest';

suite('XDP Lab extension', () => {
  let doc: vscode.TextDocument;

  suiteSetup(async () => {
    doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceUri(), 'redirect.bpf.c'));
    await vscode.window.showTextDocument(doc);
  });

  test('is installed with its manifest', () => {
    const ext = xdpLabExtension();
    assert.equal((ext.packageJSON as { displayName: string }).displayName, 'XDP Lab');
    assert.ok(contributedCommands().length > 0, 'the manifest contributes commands');
  });

  test('activates by itself on the example XDP C file (no command run)', async () => {
    assert.equal(doc.languageId, 'c');
    const ext = xdpLabExtension();
    const events = (ext.packageJSON as { activationEvents: string[] }).activationEvents;
    assert.ok(events.includes('onLanguage:c'), `activationEvents: ${events.join(', ')}`);
    // VS Code has no "extension activated" event: poll the flag, bounded, instead of calling
    // activate() (which would prove nothing about the activation events).
    const deadline = Date.now() + 30_000;
    while (!ext.isActive && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(ext.isActive, 'extension did not activate within 30 s of opening redirect.bpf.c');
  });

  test('registers every contributed command', async () => {
    await xdpLabExtension().activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributedCommands()
      .map((c) => c.command)
      .filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('Create Example Workspace copies the shipped example into a new folder and shows its program', async () => {
    // A folder inside the workspace: the command shows the program instead of opening a new window.
    const parent = vscode.Uri.joinPath(workspaceUri(), 'example-test');
    await vscode.workspace.fs.createDirectory(parent);
    try {
      await vscode.commands.executeCommand('xdpLab.example.create', parent);
      const made = vscode.Uri.joinPath(parent, 'xdp-lab-example');
      for (const name of ['redirect.bpf.c', 'redirect.xdpscenario.json', 'redirect-fixed.xdpscenario.json']) {
        const copy = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(made, name));
        const shipped = await vscode.workspace.fs.readFile(
          vscode.Uri.joinPath(xdpLabExtension().extensionUri, 'examples', name),
        );
        assert.deepEqual(copy, shipped, name);
      }
      assert.equal(
        vscode.window.activeTextEditor?.document.uri.toString(),
        vscode.Uri.joinPath(made, 'redirect.bpf.c').toString(),
      );
      // A second run never overwrites: it makes xdp-lab-example-2.
      await vscode.commands.executeCommand('xdpLab.example.create', parent);
      await vscode.workspace.fs.stat(vscode.Uri.joinPath(parent, 'xdp-lab-example-2', 'redirect.bpf.c'));
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(parent, { recursive: true });
    }
  });

  test('every contributed command has category "XDP Lab" and a title', () => {
    for (const c of contributedCommands()) {
      assert.equal(c.category, 'XDP Lab', c.command);
      assert.ok(c.title.trim().length > 0, c.command);
    }
  });

  test('the installed package holds every file its manifest references', async () => {
    const ext = xdpLabExtension();
    const pkg = ext.packageJSON as Manifest;
    const refs = manifestFileRefs(pkg);
    assert.ok(refs.length >= 4, `expected main, icon, schema and walkthrough media; got ${refs.join(', ')}`);
    const missing: string[] = [];
    for (const rel of refs) {
      try {
        await vscode.workspace.fs.stat(vscode.Uri.joinPath(ext.extensionUri, rel));
      } catch {
        missing.push(rel);
      }
    }
    assert.deepEqual(
      missing,
      [],
      `referenced by package.json but not in the installed extension: ${missing.join(', ')}`,
    );
  });
});

interface Manifest {
  main?: string;
  icon?: string;
  contributes?: {
    grammars?: { path: string }[];
    jsonValidation?: { url: string }[];
    walkthroughs?: { steps: { media: { markdown?: string; image?: string; svg?: string } }[] }[];
  };
}

/** Package-relative files the manifest points at (URLs with a scheme are not files). */
function manifestFileRefs(pkg: Manifest): string[] {
  const c = pkg.contributes ?? {};
  const refs = [
    pkg.main,
    pkg.icon,
    ...(c.grammars ?? []).map((g) => g.path),
    ...(c.jsonValidation ?? []).map((j) => j.url),
    ...(c.walkthroughs ?? []).flatMap((w) =>
      w.steps.flatMap((s) => [s.media.markdown, s.media.image, s.media.svg]),
    ),
  ];
  return refs
    .filter((r): r is string => typeof r === 'string' && !/^[a-z]+:/i.test(r))
    .map((r) => r.replace(/^\.\//, ''));
}
