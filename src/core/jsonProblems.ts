// The problems of a JSON file XDP Lab reads — a scenario, a capture, a map preload file — each with
// the place it is at (issue 12 item 5): syntax errors at their offset, scenario and capture errors at
// the token their JSON path names. The editor shows them as diagnostics on that spot.
import { JsonTextError, parseJsonText } from './jsonText';
import { jsonErrorSpan, locateJsonPath } from './jsonLocate';
import type { JsonSpan } from './jsonLocate';
import { checkAgainstSchema } from './scenario/jsonSchemaCheck';
import { ScenarioError, parseScenario } from './scenario/scenarioParse';
import { scenarioJsonSchema } from './scenario/scenarioSchema';
import { checkCaptureFile } from './trace/captureFile';

export type JsonFileKind = 'scenario' | 'capture' | 'maps';

export interface JsonProblem {
  readonly span: JsonSpan;
  /** "line 3, column 7: …" for syntax; "$.devices[1].peer: …" for the rest. */
  readonly message: string;
  /** Which check found it: an editor that runs the JSON Schema itself leaves those out. */
  readonly kind: 'syntax' | 'schema' | 'content';
}

export interface JsonProblemOptions {
  /** Leave out what an editor's JSON service reports on its own (syntax; a scenario's schema). */
  readonly skipEditorChecks?: boolean;
}

const at = (text: string, path: string): JsonSpan => locateJsonPath(text, path) ?? { start: 0, end: 1 };

/** The problems of `text` read as `kind` (empty when XDP Lab would accept it as far as the file alone says). */
export function jsonProblems(text: string, kind: JsonFileKind, opts: JsonProblemOptions = {}): JsonProblem[] {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    if (opts.skipEditorChecks || !(e instanceof JsonTextError)) return [];
    return [{ span: jsonErrorSpan(text, e.offset), message: e.message, kind: 'syntax' }];
  }
  if (kind === 'scenario') {
    const schema = checkAgainstSchema(raw, scenarioJsonSchema);
    if (schema)
      return opts.skipEditorChecks
        ? []
        : [{ span: at(text, schema.path), message: `${schema.path}: ${schema.message}`, kind: 'schema' }];
    try {
      parseScenario(raw);
    } catch (e) {
      if (e instanceof ScenarioError)
        return [{ span: at(text, e.path), message: `${e.path}: ${e.why}`, kind: 'content' }];
      return [
        { span: { start: 0, end: 1 }, message: e instanceof Error ? e.message : String(e), kind: 'content' },
      ];
    }
    return [];
  }
  if (kind === 'capture') {
    const r = checkCaptureFile(raw);
    if (typeof r !== 'string') return [];
    // "summary.frames: expected …" names its field as a dotted path.
    const field = /^([A-Za-z_$][\w$]*(?:\.[\w$]+)*): /.exec(r)?.[1];
    const path = field
      ? `$.${field
          .split('.')
          .map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`))
          .join('.')
          .replace(/\.\[/g, '[')}`
      : '$';
    return [{ span: at(text, path), message: r, kind: 'content' }];
  }
  return [];
}
