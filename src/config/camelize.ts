// snake_case YAML keys become camelCase past the config module, at type level
// (Camelize<T>) and at run time (camelize). Values of maps keyed by user data
// (route names, header names) are left alone where the schema says so.

type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

export type Camelize<T> = T extends readonly (infer U)[]
  ? Camelize<U>[]
  : T extends Record<string, unknown>
    ? { [K in keyof T as K extends string ? CamelCase<K> : K]: Camelize<T[K]> }
    : T;

export function camelKey(k: string): string {
  return k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Deep-converts object keys to camelCase; arrays and primitives pass through. */
export function camelize<T>(v: T): Camelize<T> {
  if (Array.isArray(v)) return v.map(camelize) as Camelize<T>;
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[camelKey(k)] = camelize(x);
    return out as Camelize<T>;
  }
  return v as Camelize<T>;
}

/** Deep-freezes a plain object graph (config is immutable once loaded). */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}
