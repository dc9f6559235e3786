// A browser's cookie jar for tests that play browsers over node:http: one jar
// per client address, fed by Set-Cookie and sent back as Cookie. Browsers keep
// cookies (Rampart's seen cookie among them); a test that claims a browser's
// User-Agent and drops them plays a flood tool instead. Names and values only.
import type { IncomingHttpHeaders } from 'node:http';

export class CookieJars {
  private readonly jars = new Map<string, Map<string, string>>();

  /** The Cookie header for `who`, or undefined when it holds none. */
  header(who: string): string | undefined {
    const jar = this.jars.get(who);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Headers with `who`'s cookies added (when it has any). */
  with(who: string, headers: Record<string, string>): Record<string, string> {
    const c = this.header(who);
    return c === undefined ? headers : { ...headers, cookie: c };
  }

  /** Keeps the cookies a response set for `who`. */
  keep(who: string, headers: IncomingHttpHeaders): void {
    const set = headers['set-cookie'];
    if (!set) return;
    let jar = this.jars.get(who);
    if (!jar) this.jars.set(who, (jar = new Map()));
    for (const line of set) {
      const first = line.split(';', 1)[0];
      const eq = first.indexOf('=');
      if (eq > 0) jar.set(first.slice(0, eq).trim(), first.slice(eq + 1).trim());
    }
  }
}
