// The demo campaign site's content: pages, stylesheet, script and images as
// strings built once at start. Not a template engine: a handful of fixed
// pages with one escaped slot each. Imported by demo/origin.ts only.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const CSS = `:root{--ink:#1d2433;--brand:#0b6e4f;--soft:#eef5f1}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--ink)}
header{background:var(--brand);color:#fff;padding:1rem 1.5rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff;margin-right:1rem}main{max-width:48rem;margin:0 auto;padding:1.5rem}
.hero{width:100%;height:auto;border-radius:.5rem}.card{background:var(--soft);padding:1rem;border-radius:.5rem;margin:1rem 0}
label{display:block;margin:.5rem 0 .2rem}input,button{font:inherit;padding:.4rem .6rem}button{background:var(--brand);color:#fff;border:0;border-radius:.3rem}
footer{color:#555;font-size:.85rem;text-align:center;padding:2rem}`;

export const JS = `document.addEventListener('DOMContentLoaded',function(){var n=document.getElementById('year');if(n)n.textContent=String(new Date().getFullYear());});`;

export const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48"><circle cx="24" cy="24" r="22" fill="#fff"/><path d="M12 30l12-16 12 16z" fill="#0b6e4f"/></svg>`;

export const HERO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="320" viewBox="0 0 960 320"><rect width="960" height="320" fill="#0b6e4f"/><circle cx="780" cy="90" r="60" fill="#f4d35e"/><path d="M0 260 C240 180 480 320 960 220 L960 320 L0 320z" fill="#eef5f1"/><text x="48" y="140" font-size="56" font-family="sans-serif" fill="#fff">Clean water for every town</text></svg>`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Greens for Riverton</title><link rel="stylesheet" href="/static/site.css"><script src="/static/app.js" defer></script></head>
<body><header><img src="/static/logo.svg" alt="" width="48" height="48"><nav><a href="/">Home</a><a href="/materials">Materials</a><a href="/donate">Donate</a><a href="/login">Volunteer login</a><a href="/search?q=water">Search</a></nav></header>
<main>${body}</main><footer>Demo campaign site served by the Rampart demo origin · <span id="year"></span></footer></body></html>\n`;
}

export const HOME = page(
  'Home',
  `<img class="hero" src="/static/hero.svg" alt="Campaign banner: clean water for every town" width="960" height="320">
<h1>Greens for Riverton</h1><p>Our volunteers knock on doors every weekend. Join them, read our programme, or give what you can.</p>
<div class="card"><h2>This week</h2><ul><li>Town hall on Thursday, 19:00</li><li>Leaflets ready in the <a href="/materials">materials</a> section</li></ul></div>`,
);

export const MATERIALS = page(
  'Campaign materials',
  `<h1>Campaign materials</h1><p>Leaflets, posters and the programme for volunteers to print.</p>
<ul><li><a href="/static/hero.svg">Banner (SVG)</a></li><li><a href="/static/logo.svg">Logo (SVG)</a></li><li>Programme 2026 (coming soon)</li></ul>`,
);

export const DONATE = page(
  'Donate',
  `<h1>Donate</h1><form method="post" action="/donate"><label for="name">Name</label><input id="name" name="name" required>
<label for="amount">Amount (EUR)</label><input id="amount" name="amount" type="number" min="1" value="20" required>
<p><button type="submit">Give now</button></p></form>`,
);

export const LOGIN = page(
  'Volunteer login',
  `<h1>Volunteer login</h1><form method="post" action="/login"><label for="user">User</label><input id="user" name="user" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<p><button type="submit">Log in</button></p></form><p>Demo account: volunteer / riverton</p>`,
);

export function thanks(name: string, amount: number): string {
  return page('Thank you', `<h1>Thank you, ${esc(name)}</h1><p>Your gift of €${amount} keeps the campaign going.</p>`);
}

export function results(q: string, hits: readonly string[]): string {
  const items = hits.map((h) => `<li>${esc(h)}</li>`).join('');
  return page(
    `Search: ${q}`,
    `<h1>Search</h1><form action="/search"><input name="q" value="${esc(q)}"><button>Search</button></form><p>${hits.length} results for “${esc(q)}”</p><ul>${items}</ul>`,
  );
}

export const BUSY = page(
  'Closed for maintenance',
  '<h1>Closed for maintenance</h1><p>The site is overloaded. Please try again in a few minutes.</p>',
);

export const NOT_FOUND = page('Not found', '<h1>Not found</h1>');

/** Words the search indexes: the programme's paragraphs, searched with real string work. */
export const DOCUMENTS: readonly string[] = Array.from({ length: 400 }, (_, i) => {
  const topics = ['water', 'schools', 'buses', 'housing', 'parks', 'energy', 'clinics', 'bikes'];
  return `Programme item ${i + 1}: ${topics[i % topics.length]} for the ${['north', 'south', 'east', 'west'][i % 4]} district, plan ${(i * 7919) % 1000}`;
});

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dario', 'Eva', 'Femi', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Luis'];
const LAST = ['Meyer', 'Silva', 'Novak', 'Okafor', 'Larsen', 'Costa', 'Weber', 'Rossi', 'Haddad', 'Berg'];

/** A donor record, deterministic from its id (the sensitive data the demo protects). */
export function donor(id: number): { id: number; name: string; email: string; amount: number; city: string } {
  const first = FIRST[id % FIRST.length];
  const last = LAST[(id * 7) % LAST.length];
  return {
    id,
    name: `${first} ${last}`,
    email: `${first}.${last}${id}@example.org`.toLowerCase(),
    amount: 5 + ((id * 37) % 200),
    city: 'Riverton',
  };
}

/** A donation receipt by hex id: any well-formed id has one, deterministic from it. */
export function receipt(id: string): { id: string; donor: number; amount: number; date: string } {
  const n = parseInt(id.slice(-6), 16);
  return {
    id,
    donor: 1 + (n % 5000),
    amount: 5 + (n % 200),
    date: `2026-${String(1 + (n % 12)).padStart(2, '0')}-${String(1 + (n % 28)).padStart(2, '0')}`,
  };
}

/** A volunteer by UUID, deterministic from it. */
export function volunteer(id: string): { id: string; name: string; district: string } {
  const n = parseInt(id.slice(-6), 16);
  return {
    id,
    name: `${FIRST[n % FIRST.length]} ${LAST[(n >> 4) % LAST.length]}`,
    district: ['north', 'south', 'east', 'west'][n % 4],
  };
}
