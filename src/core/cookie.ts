// Reading one cookie out of a Cookie header without parsing the others: the
// pass, the seen mark and the origin's session cookie are looked up on the
// request path, so this scans the header string once and allocates only the
// value it returns. O(length of the header).

/**
 * The value of cookie `name` in a Cookie header, or '' when absent. Scans the
 * header string instead of parsing every cookie into an object (hot path).
 */
export function cookieValue(header: string, name: string): string {
  let from = 0;
  for (;;) {
    const i = header.indexOf(name, from);
    if (i < 0) return '';
    const end = i + name.length;
    const before = i === 0 ? 59 : header.charCodeAt(i - 1);
    if ((before === 59 || before === 32) && header.charCodeAt(end) === 61 /* = */) {
      const semi = header.indexOf(';', end + 1);
      return header.slice(end + 1, semi < 0 ? header.length : semi).trim();
    }
    from = end;
  }
}
