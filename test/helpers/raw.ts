// Raw-socket client for hygiene tests: writes exact bytes, returns what came
// back (until the server closes or a quiet period passes).
import { connect } from 'node:net';

export interface RawReply {
  text: string;
  status: number;
  closed: boolean;
}

export function sendRaw(
  port: number,
  payload: string | Buffer,
  opts: { quietMs?: number; localAddress?: string } = {},
): Promise<RawReply> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    let closed = false;
    const finish = () => {
      if (timer) clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      s.destroy();
      resolve({ text, status: m ? Number(m[1]) : 0, closed });
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(finish, opts.quietMs ?? 800);
    };
    s.on('connect', () => {
      s.write(payload);
      arm();
    });
    s.on('data', (d) => {
      chunks.push(d);
      arm();
    });
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      finish();
    });
  });
}
