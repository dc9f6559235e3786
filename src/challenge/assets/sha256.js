// Pure-JS SHA-256 (FIPS 180-4) for browsers without crypto.subtle: plain HTTP
// on a host other than localhost is not a secure context, and subtle is then
// undefined. Allocation-free per call: sha256(bytes, length, out32).
// Runs in the page, in the Worker, and in Node's unit tests (sha256-client.test.ts).
// Plain ES2017 (old browsers get the challenge too); assets.ts concatenates it
// before search.js, which calls rampartSha256.
// biome-ignore lint/correctness/noUnusedVariables: used by search.js, joined with this file by assets.ts (browser scripts, no modules)
const rampartSha256 = (() => {
  const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
  ]);
  const W = new Int32Array(64);
  const H = new Int32Array(8);
  const tail = new Uint8Array(128);

  function compress(m, off) {
    for (let i = 0; i < 16; i++) {
      const o = off + 4 * i;
      W[i] = (m[o] << 24) | (m[o + 1] << 16) | (m[o + 2] << 8) | m[o + 3];
    }
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15];
      const y = W[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = H[0];
    let b = H[1];
    let c = H[2];
    let d = H[3];
    let e = H[4];
    let f = H[5];
    let g = H[6];
    let h = H[7];
    for (let i = 0; i < 64; i++) {
      const t1 =
        (h +
          (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
          ((e & f) ^ (~e & g)) +
          K[i] +
          W[i]) |
        0;
      const t2 =
        ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
          ((a & b) ^ (a & c) ^ (b & c))) |
        0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    H[0] = (H[0] + a) | 0;
    H[1] = (H[1] + b) | 0;
    H[2] = (H[2] + c) | 0;
    H[3] = (H[3] + d) | 0;
    H[4] = (H[4] + e) | 0;
    H[5] = (H[5] + f) | 0;
    H[6] = (H[6] + g) | 0;
    H[7] = (H[7] + h) | 0;
  }

  /** Digest of msg[0..len) written into out (32 bytes); returns out. */
  function sha256(msg, len, out) {
    H[0] = 0x6a09e667;
    H[1] = 0xbb67ae85;
    H[2] = 0x3c6ef372;
    H[3] = 0xa54ff53a;
    H[4] = 0x510e527f;
    H[5] = 0x9b05688c;
    H[6] = 0x1f83d9ab;
    H[7] = 0x5be0cd19;
    const full = len - (len % 64);
    for (let i = 0; i < full; i += 64) compress(msg, i);
    const rest = len - full;
    const padded = rest < 56 ? 64 : 128;
    for (let i = 0; i < rest; i++) tail[i] = msg[full + i];
    tail[rest] = 0x80;
    for (let i = rest + 1; i < padded - 8; i++) tail[i] = 0;
    // The bit length as 64 bits, high and low words.
    const hi = Math.floor(len / 0x20000000);
    const lo = (len * 8) >>> 0;
    tail[padded - 8] = hi >>> 24;
    tail[padded - 7] = hi >>> 16;
    tail[padded - 6] = hi >>> 8;
    tail[padded - 5] = hi;
    tail[padded - 4] = lo >>> 24;
    tail[padded - 3] = lo >>> 16;
    tail[padded - 2] = lo >>> 8;
    tail[padded - 1] = lo;
    compress(tail, 0);
    if (padded === 128) compress(tail, 64);
    for (let i = 0; i < 8; i++) {
      out[4 * i] = H[i] >>> 24;
      out[4 * i + 1] = H[i] >>> 16;
      out[4 * i + 2] = H[i] >>> 8;
      out[4 * i + 3] = H[i];
    }
    return out;
  }
  return sha256;
})();
