// A child process that runs one HTTP/2 abuse (src/drill/h2-abuse.ts) and
// prints its result as one JSON line: the attacker must not share the
// shield's event loop (in-process, it would slow the shield by its own
// work and the shield would slow it). Argument: the options as JSON.
import { runH2Abuse, type H2AbuseOptions } from '../../src/drill/h2-abuse.js';

const o = JSON.parse(process.argv[2]) as H2AbuseOptions;
const res = await runH2Abuse(o);
process.stdout.write(`${JSON.stringify(res)}\n`);
