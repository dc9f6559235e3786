// Loads configuration: YAML text or a plain object → validated, camelCased,
// frozen Config. Reports every problem at once with its YAML path, line and
// a hint; never throws anything but ConfigError for bad input.
import { readFileSync } from 'node:fs';
import { parseDocument, LineCounter, isMap, isSeq, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { camelize, deepFreeze } from './camelize.js';
import { configSchema, type Config } from './schema.js';
import { suggest } from './suggest.js';

type PathPart = string | number;
type Locate = (path: PathPart[]) => string;

/** Validates a plain (snake_case) object. `locate` adds " (line N)" where known. */
export function loadConfigObject(input: unknown, file = '', locate: Locate = () => ''): Config {
  const r = configSchema.safeParse(input);
  if (!r.success)
    throw new ConfigError(
      r.error.issues.flatMap((i) => toIssues(i, input, locate)),
      file,
    );
  return deepFreeze(camelize(r.data)) as Config;
}

export function loadConfigText(text: string, file = ''): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
        hint: 'check indentation and quoting near that line',
      })),
      file,
    );
  }
  const locate: Locate = (path) => {
    const node = nodeAt(doc.contents as YamlNode | null, path);
    const offset = node?.range?.[0];
    return offset === undefined ? '' : ` (line ${lines.linePos(offset).line})`;
  };
  return loadConfigObject(doc.toJS() ?? {}, file, locate);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      [
        {
          path: '',
          message: `cannot read ${file}: ${code ?? String(e)}`,
          hint: 'give the path of a YAML file, e.g. -c rampart.yaml',
        },
      ],
      file,
    );
  }
}

export function loadConfigFile(file: string): Config {
  return loadConfigText(readText(file), file);
}

/** The file as a plain object, unvalidated, so that CLI flags can override keys first. */
export function readConfigObject(file: string): Record<string, unknown> {
  const doc = parseDocument(readText(file));
  if (doc.errors.length > 0)
    throw new ConfigError(
      [
        {
          path: '',
          message: `YAML syntax: ${doc.errors[0].message.split('\n')[0]}`,
          hint: 'check indentation and quoting near that line',
        },
      ],
      file,
    );
  const v = doc.toJS() ?? {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new ConfigError(
      [{ path: '', message: 'the file must hold a mapping of keys', hint: 'see rampart.example.yaml' }],
      file,
    );
  return v as Record<string, unknown>;
}

function nodeAt(node: YamlNode | null, path: PathPart[]): YamlNode | null {
  let cur: unknown = node;
  for (const p of path) {
    if (isMap(cur)) cur = cur.get(p, true);
    else if (isSeq(cur)) cur = cur.get(Number(p), true);
    else return (cur as YamlNode) ?? null;
  }
  return (cur as YamlNode) ?? null;
}

function valueAt(obj: unknown, path: PathPart[]): unknown {
  let cur = obj;
  for (const p of path)
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p as string] : undefined;
  return cur;
}

function toIssues(i: z.core.$ZodIssue, input: unknown, locate: Locate): ConfigIssue[] {
  const path = i.path.map(String).join('.');
  if (i.code === 'unrecognized_keys') {
    const parent = valueAt(input, i.path as PathPart[]);
    return i.keys.map((k) => {
      const known = knownKeys(i.path as PathPart[]);
      const near = suggest(k, known);
      return {
        path: path ? `${path}.${k}` : k,
        message: `unknown key${locate([...(i.path as PathPart[]), k])}`,
        hint: near ? `did you mean ${near}?` : parent && known.length ? `known keys here: ${known.join(', ')}` : '',
      };
    });
  }
  const where = locate(i.path as PathPart[]);
  const missing = i.code === 'invalid_type' && valueAt(input, i.path as PathPart[]) === undefined;
  const [message, hint] = splitHint(missing ? 'required' : i.message);
  return [{ path, message: message + where, hint }];
}

function splitHint(msg: string): [string, string] {
  const m = /^(.*?)\s*\(hint: (.*)\)$/s.exec(msg);
  return m ? [m[1], m[2]] : [msg, ''];
}

/** Keys the schema accepts at a path, for "did you mean" hints. */
function knownKeys(path: PathPart[]): string[] {
  let s: unknown = configSchema;
  for (const p of path) {
    s = unwrap(s);
    const shape = (s as { shape?: Record<string, unknown> }).shape;
    if (!shape) return [];
    s = shape[p as string];
  }
  const shape = (unwrap(s) as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(s: unknown): unknown {
  let cur = s as { def?: { innerType?: unknown; in?: unknown; type?: string } } | undefined;
  for (let n = 0; n < 10 && cur?.def; n++) {
    const next = cur.def.innerType ?? cur.def.in;
    if (!next) break;
    cur = next as typeof cur;
  }
  return cur;
}
