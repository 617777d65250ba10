/**
 * The 8x8 inverse DCT of T.81 A.3.3, computed separably with a precomputed cosine matrix in
 * floating point, followed by the +128 level shift and clamping to 0..255.
 *
 * ASPEED's decoder uses libjpeg's integer AA&N IDCT; this one is exact rather than fast, so pixels
 * may differ from theirs by the AA&N rounding (±1-2 levels), well inside JPEG's own error.
 */
const COS = new Float64Array(64); // COS[x*8 + u] = C(u)/2 * cos((2x+1)uπ/16)
for (let x = 0; x < 8; x++) {
  for (let u = 0; u < 8; u++) {
    COS[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
}

const tmp = new Float64Array(64);
const rows = new Uint8Array(8);

/**
 * `coef`: dequantised coefficients in natural order (row v, column u). Writes 64 samples to
 * `out` at `outOffset` (row-major). Does not keep either array.
 */
export function inverseDct(coef: Float64Array | Int32Array, out: Uint8Array, outOffset = 0): void {
  let ac = false;
  for (let i = 1; i < 64; i++) {
    if (coef[i] !== 0) {
      ac = true;
      break;
    }
  }
  if (!ac) {
    // Flat block: every sample is DC/8 (C(0)² / 4 × 8 … = DC/8).
    const v = clamp(Math.round(coef[0]! / 8 + 128));
    out.fill(v, outOffset, outOffset + 64);
    return;
  }
  // Rows: tmp[v*8 + x] = Σ_u C(u)/2 cos(...) F(v,u). Quantisation leaves most rows zero: skip them.
  let nz = 0;
  for (let v = 0; v < 8; v++) {
    const r = v * 8;
    let any = false;
    for (let u = 0; u < 8; u++) {
      if (coef[r + u] !== 0) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    rows[nz++] = v;
    for (let x = 0; x < 8; x++) {
      const c = x * 8;
      let s = 0;
      for (let u = 0; u < 8; u++) s += COS[c + u]! * coef[r + u]!;
      tmp[r + x] = s;
    }
  }
  // Columns: out[y*8 + x] = Σ_v C(v)/2 cos(...) tmp[v*8 + x], over the non-zero rows only.
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      let s = 0;
      for (let i = 0; i < nz; i++) {
        const v = rows[i]!;
        s += COS[y * 8 + v]! * tmp[v * 8 + x]!;
      }
      out[outOffset + y * 8 + x] = clamp(Math.round(s + 128));
    }
  }
}

/** The forward DCT (for test encoders): `samples` row-major 0..255, result in natural order. */
export function forwardDct(samples: ArrayLike<number>, out: Float64Array): void {
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += COS[x * 8 + u]! * (samples[y * 8 + x]! - 128);
      tmp[y * 8 + u] = s;
    }
  }
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += COS[y * 8 + v]! * tmp[y * 8 + u]!;
      out[v * 8 + u] = s;
    }
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
