/**
 * Serves the built web app (apps/web/dist) in the single-process start, next to the API. Mounted after
 * every API route, so `/v1`, `/health`, `/docs` and `/openapi.json` always win. A browser navigating to
 * a client-side route (`/profile`) gets index.html; API clients asking for an unknown path still get
 * the 404 problem+json, because the fallback only answers requests that accept HTML.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import type { AppEnv } from "../app-env.js";
import type { Logger } from "../logger.js";
import { labelRoute } from "../metrics.js";

/**
 * The pages' policy: only our own scripts, styles and API. It is set here, on the static responses
 * only; JSON responses carry the API's own (stricter) policy.
 */
export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join("; ");

/** One metrics series for every file and page of the web app, whatever its path. */
const WEB_ROUTE_LABEL = "web";

// Vite puts content-hashed file names under /assets/: they never change, so browsers may keep them.
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

export interface WebRoutesOptions {
  distDir: string;
  logger: Logger;
}

/** The static-file sub-app, or undefined (with a warning) when the web app has not been built. */
export function webRoutes({ distDir, logger }: WebRoutesOptions): Hono<AppEnv> | undefined {
  const indexFile = join(distDir, "index.html");
  if (!existsSync(indexFile)) {
    logger.warn({ distDir }, "the web app is not built (run `pnpm build`); only the API is served");
    return undefined;
  }

  const files = serveStatic({ root: distDir });
  const assetsDir = join(distDir, "assets");

  return new Hono<AppEnv>().get(
    "*",
    async function staticFile(c, next) {
      // The build has no source maps (apps/web/vite.config.ts); one copied in by mistake stays private.
      if (extname(c.req.path) === ".map") return next();
      let missed = false;
      const response = await files(c, async () => {
        missed = true;
      });
      if (missed || !response) return next();
      labelRoute(c, WEB_ROUTE_LABEL);
      response.headers.set("Content-Security-Policy", WEB_CONTENT_SECURITY_POLICY);
      response.headers.set(
        "Cache-Control",
        join(distDir, c.req.path).startsWith(assetsDir) ? IMMUTABLE : REVALIDATE,
      );
      return response;
    },
    async function spaFallback(c, next) {
      const path = c.req.path;
      const acceptsHtml = c.req.header("accept")?.includes("text/html") ?? false;
      if (!acceptsHtml || path === "/v1" || path.startsWith("/v1/") || extname(path) !== "") return next();
      const html = await readFile(indexFile, "utf8").catch(() => undefined);
      if (html === undefined) return next();
      labelRoute(c, WEB_ROUTE_LABEL);
      return c.html(html, 200, {
        "Content-Security-Policy": WEB_CONTENT_SECURITY_POLICY,
        "Cache-Control": REVALIDATE,
        Vary: "Accept",
      });
    },
  );
}
