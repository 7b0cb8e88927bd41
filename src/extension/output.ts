// The one "XDP Lab" output channel every part of the extension logs to.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function output(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('XDP Lab', { log: true });
  return channel;
}
