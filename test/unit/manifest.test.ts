// The manifest is the one source of truth for commands and settings: check it is coherent, and
// that every contributed command is registered by the extension's code.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category: string }[];
    configuration: { properties: Record<string, unknown> };
  };
}
const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8')) as Manifest;

function sources(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

test('no * activation', () => {
  assert.ok(!manifest.activationEvents.includes('*'));
});

test('every command is xdpLab.<area>.<verb> in category "XDP Lab" and registered in src/extension', () => {
  const code = sources('src/extension');
  for (const c of manifest.contributes.commands) {
    assert.match(c.command, /^xdpLab\.[a-z]+\.[a-zA-Z]+$/, c.command);
    assert.equal(c.category, 'XDP Lab', c.command);
    assert.ok(code.includes(`'${c.command}'`), `${c.command} is contributed but never registered`);
  }
});

test('settings are xdpLab.<area>.<name> and documented', () => {
  for (const [key, value] of Object.entries(manifest.contributes.configuration.properties)) {
    assert.match(key, /^xdpLab\.[a-zA-Z]+\.[a-zA-Z]+$/, key);
    const v = value as { description?: string; markdownDescription?: string };
    assert.ok(v.description ?? v.markdownDescription, `${key} has no description`);
  }
});
