// rampart.example.yaml can never fall behind the schema: it must load, every
// key the zod schema accepts (walked recursively, whichever sections exist)
// must be documented inside its own "# ==== <section> ====" block, and the
// values it sets must be the defaults (apart from origin and hosts, which
// have none) so that the file honestly says what Rampart does unconfigured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { loadConfigFile, loadConfigObject } from '../../src/config/load.js';

const FILE = fileURLToPath(new URL('../../rampart.example.yaml', import.meta.url));
const text = readFileSync(FILE, 'utf8');

type Def = {
  type?: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
  element?: unknown;
  options?: unknown[];
};
const defOf = (s: unknown): Def => ((s as { def?: Def })?.def ?? {}) as Def;

/** Every key path the schema accepts, e.g. "limits.header_timeout"; array items add no path segment. */
export function schemaKeys(schema: unknown, prefix = '', out: string[] = [], depth = 0): string[] {
  if (depth > 20) return out;
  const d = defOf(schema);
  switch (d.type) {
    case 'object': {
      const shape = d.shape ?? (schema as { shape?: Record<string, unknown> }).shape ?? {};
      for (const [k, v] of Object.entries(shape)) {
        const p = prefix ? `${prefix}.${k}` : k;
        out.push(p);
        schemaKeys(v, p, out, depth + 1);
      }
      return out;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return schemaKeys(d.innerType, prefix, out, depth + 1);
    case 'pipe':
      schemaKeys(d.in, prefix, out, depth + 1);
      return schemaKeys(d.out, prefix, out, depth + 1);
    case 'array':
      return schemaKeys(d.element, prefix, out, depth + 1);
    case 'union':
      for (const o of d.options ?? []) schemaKeys(o, prefix, out, depth + 1);
      return out;
    default:
      return out; // scalars, records (free-form keys), transforms
  }
}

/** The text of each "# ==== key ====" block, by top-level key. */
function sectionBlocks(src: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const re = /^# ==== ([a-z0-9_]+) ====$/gm;
  const heads = [...src.matchAll(re)];
  for (let i = 0; i < heads.length; i++) {
    const start = heads[i].index! + heads[i][0].length;
    const end = i + 1 < heads.length ? heads[i + 1].index! : src.length;
    blocks.set(heads[i][1], (blocks.get(heads[i][1]) ?? '') + src.slice(start, end));
  }
  return blocks;
}

/** A key is documented when it appears as `key:` (set or commented out, block or flow style) in its section's block. */
function documented(block: string, key: string): boolean {
  const re = new RegExp(`(?:^[ \\t]*(?:#[ \\t]*)?(?:- )?|[{,][ \\t]*)${key}:`, 'm');
  return re.test(block);
}

test('the schema walk finds nested keys of every section (the check below is not vacuous)', () => {
  const keys = schemaKeys(configSchema);
  for (const k of [
    'listen',
    'origin',
    'hosts',
    'trusted_proxies',
    'data_dir',
    'limits.header_timeout',
    'limits.max_connections_per_ip',
    'tls.cert',
    'tls.listen',
    'admin.listen',
    'admin.token',
    'log.level',
  ]) {
    assert.ok(keys.includes(k), `schema walk missed ${k}`);
  }
  assert.ok(keys.length > 25, `only ${keys.length} keys found`);
});

test('rampart.example.yaml loads with the real loader', () => {
  const config = loadConfigFile(FILE);
  assert.equal(typeof config.origin, 'string');
  assert.ok(config.hosts.length > 0);
});

test('every key the schema accepts is documented in its section block of rampart.example.yaml', () => {
  const blocks = sectionBlocks(text);
  const missing: string[] = [];
  for (const path of schemaKeys(configSchema)) {
    const parts = path.split('.');
    const block = blocks.get(parts[0]);
    if (block === undefined) {
      missing.push(`${path} (no "# ==== ${parts[0]} ====" block)`);
      continue;
    }
    if (!documented(block, parts[parts.length - 1])) missing.push(path);
  }
  assert.deepEqual(missing, [], `undocumented keys in rampart.example.yaml:\n  ${missing.join('\n  ')}`);
});

test('the values set in rampart.example.yaml are the defaults (origin and hosts aside)', () => {
  const raw = parseYaml(text) as Record<string, unknown>;
  const fromExample = loadConfigObject(raw, FILE) as unknown as Record<string, unknown>;
  const defaults = loadConfigObject({ origin: raw.origin, hosts: raw.hosts }) as unknown as Record<string, unknown>;
  for (const key of Object.keys(defaults)) {
    assert.deepEqual(
      fromExample[key],
      defaults[key],
      `rampart.example.yaml sets ${key} to something other than its default`,
    );
  }
});
