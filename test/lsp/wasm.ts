// Loads the tree-sitter WASM images from node_modules for tests (the bundles load them from dist/).
import fs from 'node:fs';
import path from 'node:path';
import { createAnalyzer } from '../../src/core/analysis/analyzer';
import type { Analyzer } from '../../src/core/analysis/analyzer';

const root = path.resolve(__dirname, '../..');

export function parserWasm() {
  return {
    runtime: new Uint8Array(
      fs.readFileSync(path.join(root, 'node_modules/web-tree-sitter/tree-sitter.wasm')),
    ),
    language: new Uint8Array(
      fs.readFileSync(path.join(root, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')),
    ),
  };
}

let shared: Promise<Analyzer> | undefined;
export function testAnalyzer(): Promise<Analyzer> {
  shared ??= createAnalyzer(parserWasm());
  return shared;
}
