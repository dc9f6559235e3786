// The interstitial's words per language: `text` merged with each translation
// at compile time, then picked per request from Accept-Language (exact tag
// first, then primary subtag, in the header's order; q-values are not sorted:
// browsers list languages by preference already). O(header × languages).
import type { ChallengeConfig, ChallengeText } from '../config/schema/challenge.js';

export interface Languages<T> {
  pick(acceptLanguage: string | undefined): T;
}

/** Every configured language's full text; translations fall back field by field. */
export function mergeTexts(config: ChallengeConfig): ChallengeText[] {
  const base = config.text;
  const out: ChallengeText[] = [base];
  for (const t of config.translations) {
    const merged = { ...base } as Record<string, string>;
    for (const [k, v] of Object.entries(t)) if (v !== undefined) merged[k] = v;
    out.push(merged as ChallengeText);
  }
  return out;
}

/** `items[i]` belongs to `langs[i]`; the first item is the default. */
export function compileLanguages<T>(langs: readonly string[], items: readonly T[]): Languages<T> {
  const exact = new Map<string, T>();
  const primary = new Map<string, T>();
  for (let i = 0; i < langs.length; i++) {
    const l = langs[i].toLowerCase();
    if (!exact.has(l)) exact.set(l, items[i]);
    const p = l.split('-')[0];
    if (!primary.has(p)) primary.set(p, items[i]);
  }
  const fallback = items[0];
  return {
    pick(header) {
      if (!header || langs.length === 1) return fallback;
      const parts = header.toLowerCase().split(',', 16);
      for (let i = 0; i < parts.length; i++) {
        const tag = parts[i].split(';', 1)[0].trim();
        const hit = exact.get(tag) ?? primary.get(tag.split('-', 1)[0]);
        if (hit !== undefined) return hit;
      }
      return fallback;
    },
  };
}
