import { createHash } from "node:crypto";
import { normalizeEmail, RateLimitedError, type RateLimiter } from "@app/core";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.js";
import type { ClientAddressResolver } from "../client-address.js";
import type { Metrics, RateLimitName } from "../metrics.js";

export interface RateLimitOptions {
  limiter: RateLimiter;
  metrics: Metrics;
  /** Names the budget in keys, metrics and logs. */
  name: RateLimitName;
  limit: number;
  windowSeconds: number;
  /** The subject this budget belongs to (a client address, an account). */
  subject: (c: Context<AppEnv>) => string;
}

/**
 * Counts every request against its subject's budget before the handler runs; over the budget, a 429
 * (RateLimitedError → problem+json with Retry-After) and the handler never runs.
 */
export function rateLimit(options: RateLimitOptions) {
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    await enforce(c, options, options.subject(c));
    await next();
  });
}

/** The per-address budget of one route: `rateLimit` keyed by the resolved client address. */
export function rateLimitByAddress(
  options: Omit<RateLimitOptions, "subject"> & { clientAddress: ClientAddressResolver },
) {
  return rateLimit({ ...options, subject: options.clientAddress });
}

/**
 * Counts one hit for `subject` and throws RateLimitedError when it is over the budget. Keys carry the
 * budget's name and window so two budgets, or a changed window, never share a counter.
 */
export async function enforce<E extends AppEnv>(
  c: Context<E>,
  { limiter, metrics, name, limit, windowSeconds }: Omit<RateLimitOptions, "subject">,
  subject: string,
): Promise<void> {
  const decision = await limiter.hit(rateLimitKey(name, windowSeconds, subject), limit, windowSeconds);
  if (decision.allowed) return;
  metrics.rateLimitRefusals.inc({ limit: name });
  c.var.logger?.warn({ rateLimit: name, retryAfterSeconds: decision.retryAfterSeconds }, "rate limited");
  throw new RateLimitedError(decision.retryAfterSeconds);
}

export function rateLimitKey(name: RateLimitName, windowSeconds: number, subject: string): string {
  return `${name}:${windowSeconds}:${subject}`;
}

/**
 * The account subject for login budgets: the normalised email, hashed so the table holds no
 * addresses of people (the key only has to be stable, not readable).
 */
export function accountSubject(email: string): string {
  return createHash("sha256").update(normalizeEmail(email)).digest("base64url");
}
