// Checks a parsed JSON value against the subset of JSON Schema that scenarioSchema.ts uses, and
// returns the first problem naming its JSON path (`$.devices[2].xdp.mode`). Unknown fields are an
// error (scenario.md: never silently ignored). Iterative limits come from the schema itself.

/** The subset of JSON Schema (draft-07) the scenario schema uses and checkAgainstSchema below enforces. */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  markdownDescription?: string;
  type?:
    | 'object'
    | 'array'
    | 'string'
    | 'integer'
    | 'number'
    | 'boolean'
    | 'null'
    | Array<'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null'>;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema;
  maxItems?: number;
  minItems?: number;
  enum?: Array<string | number | boolean>;
  const?: string | number | boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  anyOf?: JsonSchema[];
  maxProperties?: number;
  default?: unknown;
  defaultSnippets?: unknown[];
}

export interface SchemaProblem {
  path: string;
  message: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/** Returns the first problem, or undefined when `value` satisfies `schema`. */
export function checkAgainstSchema(
  value: unknown,
  schema: JsonSchema,
  path = '$',
): SchemaProblem | undefined {
  if (schema.anyOf) {
    const problems: SchemaProblem[] = [];
    for (const alt of schema.anyOf) {
      const p = checkAgainstSchema(value, alt, path);
      if (!p) return undefined;
      problems.push(p);
    }
    // Report the alternative whose type matched (its problem is the most specific); else list the types.
    const got = typeOf(value);
    const typed = schema.anyOf.findIndex((alt) => {
      const t = alt.type ?? (alt.anyOf ? undefined : 'object');
      if (t === undefined) return false;
      return (Array.isArray(t) ? t : [t]).some((w) => typeMatches(w, got));
    });
    const sameType = schema.anyOf.filter((alt) => alt.type === 'object').length > 1 && got === 'object';
    if (sameType) {
      const keys = Object.keys(value as object);
      const byKey = schema.anyOf.findIndex((alt) => alt.required?.some((r) => keys.includes(r)));
      if (byKey >= 0) return problems[byKey];
      const shapes = schema.anyOf
        .filter((a) => a.required)
        .map((a) => `{${(a.required ?? []).join(', ')}, …}`);
      return { path, message: `must be one of ${shapes.join(' or ')}` };
    }
    if (typed >= 0) return problems[typed];
    const types = schema.anyOf.flatMap((a) => (Array.isArray(a.type) ? a.type : a.type ? [a.type] : []));
    return { path, message: `must be ${[...new Set(types)].join(' or ')}, got ${got}` };
  }
  const got = typeOf(value);
  if (schema.const !== undefined && value !== schema.const)
    return { path, message: `must be ${JSON.stringify(schema.const)}, got ${describe(value)}` };
  if (schema.enum && !schema.enum.includes(value as string))
    return {
      path,
      message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${describe(value)}`,
    };
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(t, got)))
      return {
        path,
        message: `must be ${types.join(' or ')}, got ${got === 'number' && types.includes('integer') ? 'a non-integer number' : got}`,
      };
  }
  switch (got) {
    case 'integer':
    case 'number': {
      const n = value as number;
      if (schema.minimum !== undefined && n < schema.minimum)
        return { path, message: `must be ≥ ${schema.minimum}, got ${n}` };
      if (schema.maximum !== undefined && n > schema.maximum)
        return { path, message: `must be ≤ ${schema.maximum}, got ${n}` };
      return undefined;
    }
    case 'string': {
      const s = value as string;
      if (schema.minLength !== undefined && s.length < schema.minLength)
        return {
          path,
          message: s.length === 0 ? 'must not be empty' : `must have at least ${schema.minLength} characters`,
        };
      if (schema.maxLength !== undefined && s.length > schema.maxLength)
        return { path, message: `is too long (${s.length} characters, at most ${schema.maxLength})` };
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(s))
        return { path, message: `${describe(s)} does not match ${schema.pattern}` };
      return undefined;
    }
    case 'array': {
      const a = value as unknown[];
      if (schema.maxItems !== undefined && a.length > schema.maxItems)
        return { path, message: `has ${a.length} items, at most ${schema.maxItems} are allowed` };
      if (schema.minItems !== undefined && a.length < schema.minItems)
        return { path, message: `needs at least ${schema.minItems} items` };
      if (schema.items)
        for (let i = 0; i < a.length; i++) {
          const p = checkAgainstSchema(a[i], schema.items, childPath(path, i));
          if (p) return p;
        }
      return undefined;
    }
    case 'object': {
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o);
      if (schema.maxProperties !== undefined && keys.length > schema.maxProperties)
        return { path, message: `has ${keys.length} fields, at most ${schema.maxProperties} are allowed` };
      for (const r of schema.required ?? [])
        if (!(r in o)) return { path, message: `missing required field '${r}'` };
      for (const k of keys) {
        const sub = schema.properties?.[k];
        if (sub) {
          const p = checkAgainstSchema(o[k], sub, childPath(path, k));
          if (p) return p;
        } else if (
          schema.additionalProperties === false ||
          (schema.additionalProperties === undefined && schema.properties)
        ) {
          const known = Object.keys(schema.properties ?? {});
          return { path: childPath(path, k), message: `unknown field '${k}' (known: ${known.join(', ')})` };
        } else if (typeof schema.additionalProperties === 'object') {
          const p = checkAgainstSchema(o[k], schema.additionalProperties, childPath(path, k));
          if (p) return p;
        }
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
