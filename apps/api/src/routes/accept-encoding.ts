/** Content codings the static files may be precompressed in, best first (brotli is smaller). */
export const PRECOMPRESSED_CODINGS = ["br", "gzip"] as const;
export type Coding = (typeof PRECOMPRESSED_CODINGS)[number] | "identity";

/**
 * The coding to send, from an `Accept-Encoding` header (RFC 9110 §12.5.3) and the codings this file
 * exists in. The highest q-value wins; on a tie the smaller file (br, then gzip) does. A coding the
 * header does not name is acceptable only through `*`; identity is acceptable unless refused
 * (`identity;q=0`, or `*;q=0` without naming it). A malformed q-value voids its entry. With no header,
 * or when even identity is refused, identity is sent: a 406 for a static file helps nobody.
 */
export function chooseEncoding(header: string | undefined, available: readonly Coding[]): Coding {
  if (header === undefined) return "identity";
  const weights = new Map<string, number>();
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.trim().split(";");
    const coding = name.trim().toLowerCase();
    if (coding === "") continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split("=").map((s) => s.trim());
      if (key?.toLowerCase() !== "q") continue;
      // RFC 9110 qvalue: 0 to 1 with at most three decimals; anything else makes the entry void.
      q = value !== undefined && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value) ? Number(value) : Number.NaN;
    }
    if (Number.isNaN(q)) continue;
    weights.set(coding === "x-gzip" ? "gzip" : coding, q);
  }
  const star = weights.get("*");
  // Unnamed, identity is still acceptable but ranks below any coding the client did name.
  const IMPLICIT_IDENTITY = 0.0001;
  const weightOf = (coding: Coding) =>
    weights.get(coding) ?? (coding === "identity" ? (star ?? IMPLICIT_IDENTITY) : (star ?? 0));

  let best: Coding = "identity";
  let bestWeight = weightOf("identity");
  for (const coding of PRECOMPRESSED_CODINGS) {
    if (!available.includes(coding)) continue;
    const weight = weightOf(coding);
    // On a tie with identity the compressed file wins ("gzip, identity" compresses).
    if (weight > 0 && (weight > bestWeight || (best === "identity" && weight >= bestWeight))) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}
