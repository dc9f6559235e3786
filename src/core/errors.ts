// Errors of Rampart: each has a stable `code`, a `source` (who is at fault)
// and a `hint` a person can act on. Refusals of requests are Verdicts, not errors.

export type ErrorSource = 'client' | 'origin' | 'internal' | 'config' | 'operator';

export class RampartError extends Error {
  readonly code: string;
  readonly source: ErrorSource;
  readonly hint: string;
  constructor(code: string, message: string, source: ErrorSource, hint = '', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.source = source;
    this.hint = hint;
  }
}

/** One problem in a configuration file, with its YAML path. */
export interface ConfigIssue {
  path: string;
  message: string;
  hint: string;
}

export class ConfigError extends RampartError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: ConfigIssue[], file = '') {
    const head = file ? `invalid configuration in ${file}` : 'invalid configuration';
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}${i.hint ? ` (hint: ${i.hint})` : ''}`);
    super('E_CONFIG', `${head}:\n${lines.join('\n')}`, 'config', issues[0]?.hint ?? '');
    this.issues = issues;
  }
}

export class UsageError extends RampartError {
  constructor(message: string, hint = '') {
    super('E_USAGE', message, 'operator', hint);
  }
}

export class StartupError extends RampartError {
  constructor(code: string, message: string, hint = '', options?: { cause?: unknown }) {
    super(code, message, 'operator', hint, options);
  }
}
