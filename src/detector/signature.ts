// The signature of one second: the keys over-represented against their
// learned share — prefixes, fingerprints (with the user-agent family of an
// example request, a tool blamed sooner than a browser), paths, query shapes —
// the largest sources, and each route class's share against its usual one.
// Counts are space-saving lower bounds: a key never inherits blame from an
// evicted one. Pure; runs once a second over bounded tables.
import { prefixLabelOf } from '../core/ip.js';
import type { CountMin } from '../core/count-min.js';
import type { SpaceSaving } from '../core/space-saving.js';
import { BROWSER_FAMILIES, uaFamily } from '../core/ua-family.js';
import { Baselines } from './baseline.js';
import { ROUTE_CLASSES, type ClassShare, type Signature, type SignatureItem } from './events.js';
import type { SecondWindow } from './window.js';

export const r2 = (x: number): number => Math.round(x * 100) / 100;

function itemsOf(
  ss: SpaceSaving,
  total: number,
  cm: CountMin | null,
  label: (key: number, l: string) => string,
  minShare: number,
  minLift: number,
  max: number,
): SignatureItem[] {
  const out: SignatureItem[] = [];
  if (total <= 0) return out;
  for (const h of ss.top(max * 2)) {
    // The guaranteed lower bound: a key that just replaced the minimum inherits its count as error.
    const count = h.count - h.error;
    const share = count / total;
    const base = cm ? Baselines.share(cm, h.key) : 0;
    const lift = share / Math.max(base, 0.001);
    if (share < minShare || (cm !== null && lift < minLift)) continue;
    out.push({
      key: h.key,
      label: label(h.key, h.label),
      count,
      share: r2(share),
      baselineShare: Math.round(base * 10000) / 10000,
      lift: r2(lift),
    });
    if (out.length >= max) break;
  }
  return out;
}

const hex = (k: number) => k.toString(16).padStart(8, '0');

/**
 * A fingerprint is blamed when it is a tool (curl, python…, no UA) over
 * min_lift, or a browser far over it (10 × min_lift): a newsletter's readers
 * or an e-mail app's web view legitimately shift the browser mix by a few times.
 */
function fingerprintItem(f: SignatureItem, w: SecondWindow, minLift: number, supported: boolean): SignatureItem {
  const family = uaFamily(w.topFps.labelOf(f.key));
  // A browser's lift against a baseline of a few requests means nothing (every browser is "new" after idle seconds).
  return {
    ...f,
    label: `${f.label} ${family}`,
    family,
    suspicious: BROWSER_FAMILIES.has(family) ? supported && f.lift >= 10 * minLift : f.lift >= minLift,
  };
}

/** Keys over-represented this second (sources: simply the largest). */
export function signatureOf(w: SecondWindow, b: Baselines, minLift: number): Signature {
  const n = w.requests;
  const supported = b.sharesSupported();
  const classes: ClassShare[] = [];
  for (let i = 0; i < ROUTE_CLASSES.length; i++) {
    if (w.classes[i] === 0) continue;
    const share = w.classes[i] / n;
    const base = b.classShare[i].n > 0 ? b.classShare[i].mean : 0;
    classes.push({
      name: ROUTE_CLASSES[i],
      share: r2(share),
      baselineShare: r2(base),
      lift: r2(share / Math.max(base, 0.01)),
    });
  }
  classes.sort((x, y) => y.lift - x.lift);
  return {
    sources: itemsOf(w.topSources, n, null, (_k, l) => l, 0.01, 0, 10),
    prefixes: itemsOf(w.topPrefixes, n, b.prefix, (_k, l) => (l ? prefixLabelOf(l) : ''), 0.05, minLift, 10),
    fingerprints: itemsOf(w.topFps, n, b.fp, (k) => hex(k), 0.05, minLift, 5).map((f) =>
      fingerprintItem(f, w, minLift, supported),
    ),
    paths: itemsOf(w.topPaths, n, b.path, (_k, l) => l.slice(0, 200), 0.05, minLift, 10),
    queryShapes: itemsOf(w.topShapes, w.withQuery, b.shape, (_k, l) => l.slice(0, 80), 0.05, minLift, 5),
    clients: itemsOf(w.topClients, n, null, (_k, l) => l.slice(0, 200), 0.05, 0, 5),
    routeClasses: classes,
  };
}
