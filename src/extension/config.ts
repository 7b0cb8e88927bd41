// The one typed accessor for the `xdpLab.*` settings declared in package.json. Nothing else in the
// extension calls getConfiguration('xdpLab'); core never reads settings (callers pass options).
import * as vscode from 'vscode';

export interface XdpLabConfig {
  readonly clangPath: string;
  readonly clangExtraArgs: readonly string[];
  readonly clangIncludePaths: readonly string[];
  readonly compileOnSave: boolean;
  /** xdpLab.clangd.coexist: whether clangd serves C files beside XDP Lab ('auto' detects it). */
  readonly clangdCoexist: 'auto' | 'always' | 'never';
  readonly bpftoolPath: string;
  readonly instructionBudget: number;
  /** xdpLab.vm.kconfig: a kernel config file `.kconfig` externs read before the system's ('' for none). */
  readonly kconfig: string;
  readonly maxEvents: number;
  readonly captureDefaultDuration: number;
  readonly captureUseSudo: boolean;
  readonly sshPath: string;
  /** xdpLab.inlayHints.*: the language server pulls these per document (workspace/configuration). */
  readonly inlayHints: {
    readonly packetOffsets: boolean;
    readonly structLayout: boolean;
    readonly mapTypes: boolean;
  };
  /** `xdpLab.verify.host`: '' for none. */
  readonly verifyHost: string;
}

export function readConfig(scope?: vscode.ConfigurationScope): XdpLabConfig {
  const c = vscode.workspace.getConfiguration('xdpLab', scope);
  return {
    clangPath: c.get<string>('clang.path', 'clang'),
    clangExtraArgs: c.get<string[]>('clang.extraArgs', []),
    clangIncludePaths: c.get<string[]>('clang.includePaths', []),
    compileOnSave: c.get<boolean>('clang.compileOnSave', true),
    clangdCoexist: c.get<'auto' | 'always' | 'never'>('clangd.coexist', 'auto'),
    bpftoolPath: c.get<string>('bpftool.path', 'bpftool'),
    instructionBudget: c.get<number>('vm.instructionBudget', 1_000_000),
    kconfig: c.get<string>('vm.kconfig', '').trim(),
    maxEvents: c.get<number>('simulation.maxEvents', 200_000),
    captureDefaultDuration: c.get<number>('capture.defaultDuration', 10),
    captureUseSudo: c.get<boolean>('capture.useSudo', false),
    sshPath: c.get<string>('capture.sshPath', 'ssh'),
    inlayHints: {
      packetOffsets: c.get<boolean>('inlayHints.packetOffsets', true),
      structLayout: c.get<boolean>('inlayHints.structLayout', true),
      mapTypes: c.get<boolean>('inlayHints.mapTypes', false),
    },
    verifyHost: c.get<string>('verify.host', '').trim(),
  };
}
