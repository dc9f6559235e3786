// How a module contributes Prometheus metrics: it declares each one (name,
// help, type, label) beside its code, with a value function typed against its
// own stats() type, so a renamed stats field is a compile error rather than a
// silently dropped metric. Control (src/control/metrics.ts) reads the sources
// at scrape time and never knows a field name. Not on the request path: one
// stats() read per source per scrape.

export type MetricType = 'counter' | 'gauge';

/**
 * A figure as the stats hold it: one number (a flag counts 0/1), or numbers per
 * key (one sample per key, labelled `label`); null or undefined: no sample now.
 */
export type MetricValue = number | boolean | Readonly<Record<string, number>> | null | undefined;

/** What the exporter needs to know of a metric: everything but where its value comes from. */
export interface MetricSpec {
  /** The full Prometheus name, e.g. `rampart_cache_hits_total` (counters end in `_total`). */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** The label of the keys when the value is numbers per key; default `key`. */
  readonly label?: string;
}

/** A metric declared by a module: its spec and where its value is in the module's stats `S`. */
export interface ModuleMetric<S> extends MetricSpec {
  value(stats: S): MetricValue;
}

/** A module's metrics, as control sees them: the specs, and their values read together. */
export interface MetricSource {
  readonly metrics: readonly MetricSpec[];
  /** One value per spec, in order, from one stats() read; null when the module is off. */
  read(): readonly MetricValue[] | null;
}

/** Binds a module's declared metrics to its live stats (`read` returns null when the module is off). */
export function metricSource<S>(read: () => S | null, metrics: readonly ModuleMetric<S>[]): MetricSource {
  return {
    metrics,
    read() {
      const stats = read();
      if (stats === null) return null;
      const values: MetricValue[] = [];
      for (let i = 0; i < metrics.length; i++) values.push(metrics[i].value(stats));
      return values;
    },
  };
}

/** The names of the number fields of `R`. */
export type NumberField<R> = { [K in keyof R]-?: R[K] extends number ? K : never }[keyof R];

/** One number field of every row of a per-key table, e.g. challenges issued per route class. */
export function column<R>(rows: Readonly<Record<string, R>>, field: NumberField<R>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(rows)) out[key] = rows[key][field] as number;
  return out;
}

/** A figure that only grows (its name ends in `_total`). */
export function counter<S>(
  name: string,
  help: string,
  value: (stats: S) => MetricValue,
  label?: string,
): ModuleMetric<S> {
  return { name, help, type: 'counter', label, value };
}

/** A figure that goes up and down. */
export function gauge<S>(
  name: string,
  help: string,
  value: (stats: S) => MetricValue,
  label?: string,
): ModuleMetric<S> {
  return { name, help, type: 'gauge', label, value };
}
