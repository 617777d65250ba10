import forge from 'node-forge';

/** Length of the VNC Authentication challenge and of the response (§7.2.2). */
export const VNC_AUTH_CHALLENGE_BYTES = 16;

/**
 * The VNC Authentication response (rfbproto §7.2.2 "VNC Authentication"): the 16-byte challenge
 * encrypted with single DES in ECB mode (each 8-byte half on its own).
 *
 * The key is the password's first 8 bytes, zero-padded when shorter. The spec's note says VNC takes
 * the lowest bit of each key byte as the first bit, the reverse of ordinary DES, so each key byte is
 * bit-reversed before it goes to a standard DES implementation. The password is taken as UTF-8 bytes
 * (what libvncclient and TigerVNC do with a C string; for ASCII passwords every encoding agrees).
 *
 * Node's OpenSSL 3 has DES only in the legacy provider, which is not loaded by default, so we use
 * node-forge's pure-JS DES. Does not keep or mutate `challenge`.
 */
export function vncAuthResponse(password: string, challenge: Uint8Array): Buffer {
  if (challenge.length !== VNC_AUTH_CHALLENGE_BYTES) {
    // Our caller always hands us exactly the 16 bytes it read off the wire: a mismatch is our bug.
    throw new Error(`vncAuthResponse: challenge must be ${VNC_AUTH_CHALLENGE_BYTES} bytes, got ${challenge.length}`);
  }
  const key = vncAuthKey(password);
  const cipher = forge.cipher.createCipher('DES-ECB', forge.util.createBuffer(key.toString('binary')));
  cipher.start();
  cipher.update(forge.util.createBuffer(Buffer.from(challenge.buffer, challenge.byteOffset, challenge.length).toString('binary')));
  cipher.finish();
  // finish() appends a PKCS#7 padding block; VNC has none, so only the first 16 bytes are the answer.
  const out = Buffer.from(cipher.output.getBytes(VNC_AUTH_CHALLENGE_BYTES), 'binary');
  key.fill(0);
  return out;
}

/** The 8-byte DES key for a VNC password: UTF-8 bytes, truncated/zero-padded to 8, each byte bit-reversed. */
export function vncAuthKey(password: string): Buffer {
  const key = Buffer.alloc(8);
  const raw = Buffer.from(password, 'utf8');
  raw.copy(key, 0, 0, Math.min(8, raw.length));
  raw.fill(0);
  for (let i = 0; i < 8; i++) key[i] = reverseBits(key[i]!);
  return key;
}

function reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    r = (r << 1) | ((b >> i) & 1);
  }
  return r;
}
