import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import { InvalidTokenError } from "./errors.js";

/**
 * HS256 is the only algorithm we sign with and the only one we accept: pinning it closes `alg: none`
 * and key confusion. The one header we issue is byte for byte what hono/jwt's `sign` writes for HS256.
 */
const HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
const PART = /^[A-Za-z0-9_-]+$/;
const SIGNATURE = /^[A-Za-z0-9_-]*={0,2}$/;
const MAC_BYTES = 32;

export interface Hs256 {
  /** The compact JWS of `payload`. */
  sign(payload: object): string;
  /**
   * The payload of a token whose header says HS256 and whose MAC matches. The time claims are the
   * caller's to check.
   * @throws InvalidTokenError `malformed`, `wrong_algorithm` or `bad_signature`
   */
  verify(token: string): Record<string, unknown>;
}

/**
 * HS256 with node:crypto's synchronous HMAC. WebCrypto (what hono/jwt uses) runs every HMAC as a job
 * on libuv's thread pool: a thread hop and a promise per request on the hot path, queued behind bcrypt
 * when logins are busy. A synchronous HMAC over a JWT takes a few microseconds.
 * @example
 * const jwt = createHs256(secret);
 * const payload = jwt.verify(jwt.sign({ sub: "u" }));
 */
export function createHs256(secret: string): Hs256 {
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  const mac = (unsigned: string) => createHmac("sha256", key).update(unsigned).digest();

  return {
    sign(payload) {
      const unsigned = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
      return `${unsigned}.${mac(unsigned).toString("base64url")}`;
    },

    verify(token) {
      const parts = token.split(".");
      if (parts.length !== 3) throw new InvalidTokenError("malformed");
      const [header, payload, signature] = parts as [string, string, string];
      if (!PART.test(header) || !PART.test(payload)) throw new InvalidTokenError("malformed");
      // Our own header is the common case and needs no parsing.
      if (header !== HEADER) checkHeader(decodeJson(header));
      if (!SIGNATURE.test(signature)) throw new InvalidTokenError("malformed");
      const presented = Buffer.from(signature, "base64url");
      const expected = mac(`${header}.${payload}`);
      // The MAC is checked before the payload is parsed: a forged token costs one HMAC and no JSON.
      if (presented.length !== MAC_BYTES || !timingSafeEqual(presented, expected)) {
        throw new InvalidTokenError("bad_signature");
      }
      const claims = decodeJson(payload);
      if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
        throw new InvalidTokenError("malformed");
      }
      return claims as Record<string, unknown>;
    },
  };
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new InvalidTokenError("malformed");
  }
}

/** The header rules hono/jwt applied: `alg` exactly HS256, `typ` absent or JWT, no `crit`. */
function checkHeader(header: unknown): void {
  if (typeof header !== "object" || header === null) throw new InvalidTokenError("malformed");
  const { alg, typ } = header as { alg?: unknown; typ?: unknown };
  if (alg !== "HS256") throw new InvalidTokenError("wrong_algorithm");
  const typOk =
    typ === undefined ||
    (typeof typ === "string" && typ.toLowerCase().replace(/^application\//, "") === "jwt");
  if (!typOk || "crit" in header) throw new InvalidTokenError("wrong_algorithm");
}
