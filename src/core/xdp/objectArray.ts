// An empty array made for objects. V8 gives `[]` the elements kind of small integers and changes it
// when the first object goes in; code an earlier simulation optimised for the array's object kind
// deoptimises (and is recompiled) when a new run's fresh `[]` takes its first object on the
// per-frame path — a flush list, the verdict order, the pool of contexts.

const PLACEHOLDER = {};

/** An empty array whose elements kind already holds objects. */
export function objectArray<T extends object>(): T[] {
  const a: object[] = [PLACEHOLDER];
  a.length = 0;
  return a as T[];
}
