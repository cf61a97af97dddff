import { InvalidTokenError } from "./errors.js";

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;

/**
 * True when `segment` is the one and only base64url spelling of its bytes (RFC 7515 §2: no padding, and
 * RFC 4648 §3.5: the bits a last character carries beyond the data are zero). Lenient decoders, jose's
 * included, ignore padding and those spare bits, so without this check one signature has several
 * spellings and a token could be altered without breaking its signature.
 */
export function isCanonicalBase64url(segment: string): boolean {
  if (!BASE64URL_CHARS.test(segment)) return false;
  const remainder = segment.length % 4;
  if (remainder === 1) return false;
  if (remainder === 0) return true; // the empty segment included: an `alg: none` token then fails on its header
  const lastValue = BASE64URL_ALPHABET.indexOf(segment.charAt(segment.length - 1));
  // 2 characters carry 12 bits for 8 data bits (4 spare), 3 carry 18 for 16 (2 spare).
  const spareBitsMask = remainder === 2 ? 0b1111 : 0b11;
  return (lastValue & spareBitsMask) === 0;
}

/** The header of a JWS compact token, decoded, with every segment checked for canonical base64url. */
export function readCanonicalHeader(token: string): Record<string, unknown> {
  const segments = token.split(".");
  if (segments.length !== 3) throw new InvalidTokenError("malformed");
  for (const segment of segments) {
    if (!isCanonicalBase64url(segment)) throw new InvalidTokenError("malformed");
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(segments[0] as string, "base64url").toString("utf8"));
  } catch {
    throw new InvalidTokenError("malformed");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new InvalidTokenError("malformed");
  }
  return header as Record<string, unknown>;
}

/**
 * The header rules every access token meets: `alg` exactly the expected one (never `none`, never a
 * different family for the same key), `typ` absent or JWT, no `crit`, and for EdDSA a `kid`.
 * @returns the `kid`, when present
 */
export function checkHeader(
  header: Record<string, unknown>,
  algorithm: "HS256" | "EdDSA",
): string | undefined {
  if (header.alg !== algorithm) throw new InvalidTokenError("wrong_algorithm");
  const { typ, kid } = header;
  const typOk =
    typ === undefined ||
    (typeof typ === "string" && typ.toLowerCase().replace(/^application\//, "") === "jwt");
  if (!typOk || "crit" in header) throw new InvalidTokenError("wrong_algorithm");
  if (kid !== undefined && (typeof kid !== "string" || kid === "")) throw new InvalidTokenError("malformed");
  if (algorithm === "EdDSA" && kid === undefined) throw new InvalidTokenError("unknown_key");
  return kid;
}
