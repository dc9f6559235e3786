// Schema of the `challenge:` section: proof-of-work difficulty per mode, pass
// and challenge lifetimes, the interstitial's words (with translations chosen
// by Accept-Language), exemptions for feeds/APIs/logged-in users, and the
// optional no-JS meta-refresh check. Every key has a default: `parse({})` works.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration } from '../units.js';

// Difficulty = leading zero BITS of SHA-256(seed + counter): 2^bits attempts
// on average. Measured (bench/micro/challenge.bench.ts --browser, table in
// docs/challenge.md): the whole flow in Chromium on 2 loaded EPYC cores takes
// a median 0.4 s at 16 bits, 0.55 s at 18, 0.8 s at 20 (p90 1.6 s); the
// page's pure JS does 0.6–1.5M hashes/s per core. A mid phone is ~3x slower
// per core (estimate, not measured); 5% of solves take 3x the mean
// (geometric). PoW only prices a pass (a native bot does 10M+/s per core, a
// GPU 1000x that); each extra bit doubles every person's wait (Xe/x#646).
const bits = z
  .number()
  .int()
  .min(1, 'difficulty is a number of leading zero bits, at least 1')
  .max(26, 'over 26 bits takes minutes on a phone (hint: 16–22 is the useful range)');

const textFields = {
  title: z.string().min(1),
  heading: z.string().min(1),
  body: z.string(),
  working: z.string(),
  done: z.string(),
  noscript: z.string(),
  /** Shown under <noscript> when meta_refresh is on. */
  noscript_refresh: z.string(),
  failed: z.string(),
  retry: z.string(),
  appeal_text: z.string(),
  /** '' = no link; a relative path here is exempted from the challenge itself. */
  appeal_url: z.string(),
};

const lang = z
  .string()
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'a BCP 47 language tag (hint: e.g. en, de, pt-BR)');

export const textSchema = z
  .strictObject({
    lang: lang.default('en'),
    title: textFields.title.default('Checking your browser'),
    heading: textFields.heading.default('One moment, please'),
    body: textFields.body.default(
      'This site is under heavy load. To keep it online for people, your browser solves a small puzzle. It takes a few seconds, happens once, and sends no personal data.',
    ),
    working: textFields.working.default('Working… this usually takes a few seconds.'),
    done: textFields.done.default('Done. Taking you to the page…'),
    noscript: textFields.noscript.default(
      'This check needs JavaScript. If you cannot turn it on, please try again later or use the contact link below.',
    ),
    noscript_refresh: textFields.noscript_refresh.default(
      'Without JavaScript this page continues by itself in a few seconds.',
    ),
    failed: textFields.failed.default(
      'The check did not succeed. This can happen after a network change or a long pause.',
    ),
    retry: textFields.retry.default('Try again'),
    appeal_text: textFields.appeal_text.default('Stuck on this page? Tell the site team.'),
    appeal_url: textFields.appeal_url.default(''),
  })
  .prefault({});

/** A translation overrides any of the texts; missing ones fall back to `text`. */
const translationSchema = z.strictObject(textFields).partial().extend({ lang });

const cookieName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, 'a cookie name (hint: letters, digits, - _ . e.g. rampart_pass)');

const domain = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i,
    'a DNS domain (hint: e.g. googlebot.com)',
  );

// Crawlers that publish reverse-DNS verification (each vendor's documentation):
// the PTR name of the address must be in one of the domains and resolve back.
const DEFAULT_CRAWLERS = [
  { agent: 'Googlebot', domains: ['googlebot.com', 'google.com', 'googleusercontent.com'] },
  { agent: 'bingbot', domains: ['search.msn.com'] },
  { agent: 'Applebot', domains: ['applebot.apple.com'] },
  { agent: 'YandexBot', domains: ['yandex.ru', 'yandex.net', 'yandex.com'] },
  { agent: 'Baiduspider', domains: ['baidu.com', 'baidu.jp'] },
];

export const crawlersSchema = z
  .strictObject({
    // Off by default: it costs DNS lookups in the background, and search
    // engines index the cached site well enough during a short attack.
    enabled: z.boolean().default(false),
    known: z
      .array(
        z.strictObject({
          agent: z.string().min(3, 'a User-Agent substring of at least 3 characters (hint: e.g. Googlebot)'),
          domains: z.array(domain).min(1, 'at least one domain (hint: e.g. googlebot.com)'),
        }),
      )
      .default(DEFAULT_CRAWLERS),
  })
  .prefault({});

export const exemptSchema = z
  .strictObject({
    // Prefix match on the raw path. Feeds, robots and well-known URLs are read
    // by programs that cannot solve a challenge (anubis#1737, #700); they are
    // public and cacheable, so the cache absorbs floods aimed at them.
    paths: z
      .array(z.string().startsWith('/', 'an exempt path starts with / (hint: e.g. /feed/ or /api/webhooks/)'))
      .default([
        '/.well-known/',
        '/robots.txt',
        '/favicon.ico',
        '/sitemap.xml',
        '/feed/',
        '/feed.xml',
        '/rss.xml',
        '/atom.xml',
        '/index.xml',
      ]),
    /** Header carrying an integration's token, e.g. x-rampart-token; '' = off. */
    api_token_header: z.string().toLowerCase().default(''),
    api_tokens: z
      .array(z.string().min(16, 'an API token should have at least 16 characters (hint: openssl rand -hex 16)'))
      .default([]),
    // Presence only: Rampart cannot validate the origin's session, so anyone who
    // knows the name can send it. Rate limits still apply to such requests.
    session_cookie: z.union([cookieName, z.literal('')]).default(''),
    crawlers: crawlersSchema,
  })
  .superRefine((v, ctx) => {
    if (v.api_tokens.length > 0 && !v.api_token_header)
      ctx.addIssue({
        code: 'custom',
        path: ['api_token_header'],
        message: 'api_tokens are set but api_token_header is empty (hint: e.g. x-rampart-token)',
      });
  })
  .prefault({});

export const challengeSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    // When this stage asks for a challenge by itself, on top of what policy
    // asks (ctx.challengeRequired): off = only when policy asks; under_attack /
    // elevated = while the attack mode is at least that; always = every
    // non-exempt request without a pass. Passes are checked in every case.
    require: z
      .enum(['off', 'elevated', 'under_attack', 'always'], {
        error: 'one of off, elevated, under_attack, always (hint: under_attack challenges only during an attack)',
      })
      .default('under_attack'),
    difficulty: z
      .strictObject({
        elevated: bits.default(16),
        under_attack: bits.default(20),
        /** When policy asks for a challenge in normal mode. */
        manual: bits.default(18),
      })
      .prefault({}),
    // Checked per field (not in a superRefine) so they are reported with every other error at once.
    pass_ttl: duration()
      .refine((v) => v >= 60_000, 'pass_ttl under 1m re-challenges people constantly (hint: 1h)')
      .default(3_600_000),
    challenge_ttl: duration()
      .refine((v) => v >= 30_000, 'challenge_ttl under 30s strands slow phones (hint: 5m)')
      .default(300_000),
    cookie_name: cookieName.default('rampart_pass'),
    brand: z
      .strictObject({
        /** Shown above the heading and in the title; '' = none. */
        site_name: z.string().max(80, 'a short site name (hint: at most 80 characters)').default(''),
        /** Links, progress bar and site name in the light scheme; '' = Rampart's blue. */
        accent_color: z
          .union([
            z.literal(''),
            z
              .string()
              .regex(
                /^#([0-9a-f]{3}|[0-9a-f]{6})$/i,
                'a colour as #rgb or #rrggbb (hint: pick one with 4.5:1 contrast on white, e.g. #0b6e4f)',
              ),
          ])
          .default(''),
      })
      .prefault({}),
    text: textSchema,
    translations: z.array(translationSchema).default([]),
    exempt: exemptSchema,
    // No-JS check: a <noscript> meta refresh that earns a pass after a short
    // wait. Weaker than PoW: any client that follows redirects and keeps
    // cookies (curl -L -b, a requests.Session) passes for the price of a few
    // seconds of latency, which a bot pays in parallel. Off by default; turn it
    // on when no-JS readers matter more than scripted floods.
    meta_refresh: z.boolean().default(false),
  })
  .prefault({});

export type ChallengeConfig = Camelize<z.output<typeof challengeSchema>>;
export type ChallengeText = Camelize<z.output<typeof textSchema>>;
