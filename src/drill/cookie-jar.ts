// A simulated client's cookies: name → value from Set-Cookie, sent back as
// one Cookie header. One site only (the drill's target), so domain and path
// are ignored; Max-Age ≤ 0, a past Expires or an empty value deletes. Bounded:
// at most MAX cookies (a browser keeps ~180 per site), oldest dropped first.

const MAX = 64;

export class CookieJar {
  private readonly cookies = new Map<string, string>();

  get size(): number {
    return this.cookies.size;
  }

  store(setCookie: readonly string[], now = Date.now()): void {
    for (const line of setCookie) {
      const parts = line.split(';');
      const first = parts[0];
      const eq = first.indexOf('=');
      if (eq <= 0) continue;
      const name = first.slice(0, eq).trim();
      const value = first.slice(eq + 1).trim();
      let gone = value === '';
      for (let k = 1; k < parts.length; k++) {
        const [attr, v = ''] = parts[k].split('=', 2);
        const a = attr.trim().toLowerCase();
        if (a === 'max-age' && Number(v) <= 0) gone = true;
        else if (a === 'expires' && Date.parse(v.trim()) <= now) gone = true;
      }
      this.cookies.delete(name);
      if (gone) continue;
      this.cookies.set(name, value);
      if (this.cookies.size > MAX) this.cookies.delete(this.cookies.keys().next().value!);
    }
  }

  /** The Cookie header value, '' when empty. */
  header(): string {
    let s = '';
    for (const [k, v] of this.cookies) s += s === '' ? `${k}=${v}` : `; ${k}=${v}`;
    return s;
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }
}
