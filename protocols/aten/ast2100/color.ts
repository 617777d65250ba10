/**
 * YCbCr → RGB as the ASPEED video engine's reference decoder does it: studio-range BT.601,
 * R = 1.164(Y−16) + 1.597656(Cr−128), G = 1.164(Y−16) − 0.8125(Cr−128) − 0.390625(Cb−128),
 * B = 1.164(Y−16) + 2.015625(Cb−128), each term rounded to an integer, the sum clamped to 0..255.
 * (kelleyk's clean-room tables use the same constants in 16.16 fixed point.)
 */
const Y_TERM = new Int16Array(256);
const CR_R = new Int16Array(256);
const CB_B = new Int16Array(256);
const CR_G = new Int16Array(256);
const CB_G = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  Y_TERM[i] = Math.floor(1.164 * (i - 16) + 0.5);
  CR_R[i] = Math.floor(1.597656 * (i - 128) + 0.5);
  CB_B[i] = Math.floor(2.015625 * (i - 128) + 0.5);
  CR_G[i] = Math.floor(-0.8125 * (i - 128) + 0.5);
  CB_G[i] = Math.floor(-0.390625 * (i - 128) + 0.5);
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Writes R, G, B, 0 at `o` in `out`. */
export function ycbcrToRgbx(y: number, cb: number, cr: number, out: Uint8Array, o: number): void {
  const yy = Y_TERM[y]!;
  out[o] = clamp(yy + CR_R[cr]!);
  out[o + 1] = clamp(yy + CR_G[cr]! + CB_G[cb]!);
  out[o + 2] = clamp(yy + CB_B[cb]!);
  out[o + 3] = 0;
}

/** The inverse (for test encoders): RGB 0..255 → YCbCr 0..255 (studio-range BT.601). */
export function rgbToYcbcr(r: number, g: number, b: number): [number, number, number] {
  const y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256;
  const cb = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256;
  const cr = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256;
  return [clamp(Math.round(y)), clamp(Math.round(cb)), clamp(Math.round(cr))];
}
