/** The only module that reads the environment. */
export interface OrdersConfig {
  port: number;
  host: string;
  /** The identity service's `/.well-known/jwks.json`. */
  jwksUrl: string;
  /** Its `iss` (JWT_ISSUER there; by default its PUBLIC_URL). */
  issuer: string;
  /** The `aud` its tokens carry (JWT_AUDIENCE there). */
  audience: string;
  /** After a key-set fetch, an unknown `kid` refetches only this much later. */
  jwksCooldownSeconds: number;
}

export function loadOrdersConfig(env: Record<string, string | undefined> = process.env): OrdersConfig {
  const required = (name: string) => {
    const value = env[name]?.trim();
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  return {
    port: Number(env.PORT ?? 4000),
    host: env.HOST ?? "127.0.0.1",
    jwksUrl: required("JWKS_URL"),
    issuer: required("ISSUER"),
    audience: env.AUDIENCE?.trim() || "user-management",
    jwksCooldownSeconds: Number(env.JWKS_COOLDOWN_SECONDS ?? 10),
  };
}
