/**
 * Serves the built web app (apps/web/dist) in the single-process start, next to the API. Mounted after
 * every API route, so `/v1`, `/health`, `/docs` and `/openapi.json` always win. A browser navigating to
 * a client-side route (`/profile`) gets index.html; API clients asking for an unknown path still get
 * the 404 problem+json, because the fallback only answers requests that accept HTML.
 *
 * The files are read once at start-up into a table keyed by URL path: a request can only ever name a
 * file of the build (no path reaches the file system), and each file's brotli/gzip copies written by
 * the build (apps/web/build-steps/precompress.ts) are chosen by Accept-Encoding with their own
 * Content-Length and ETag.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import type { Context } from "hono";
import { Hono } from "hono";
import { getMimeType } from "hono/utils/mime";
import type { AppEnv } from "../app-env.js";
import type { Logger } from "../logger.js";
import { labelRoute } from "../metrics.js";
import { type Coding, chooseEncoding, PRECOMPRESSED_CODINGS } from "./accept-encoding.js";

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

interface Variant {
  body: Uint8Array<ArrayBuffer>;
  etag: string;
}

interface StaticFile {
  contentType: string;
  cacheControl: string;
  variants: Partial<Record<Coding, Variant>> & { identity: Variant };
}

const ENCODED_SUFFIX: Record<Exclude<Coding, "identity">, string> = { br: ".br", gzip: ".gz" };

/**
 * Every servable file of the build by URL path. Source maps are left out (the build makes none, see
 * apps/web/vite.config.ts; one copied in by mistake stays private), and so are the `.br`/`.gz` copies,
 * which are only ever sent as an encoding of their original.
 */
function loadStaticFiles(distDir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const assetsDir = join(distDir, "assets") + sep;
  for (const entry of readdirSync(distDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const extension = extname(entry.name);
    if (extension === ".map" || extension === ".br" || extension === ".gz") continue;
    const identity = readFileSync(path);
    const tag = createHash("sha256").update(identity).digest("base64url").slice(0, 27);
    const variants: StaticFile["variants"] = {
      identity: { body: new Uint8Array(identity), etag: `"${tag}"` },
    };
    for (const coding of PRECOMPRESSED_CODINGS) {
      const encodedPath = path + ENCODED_SUFFIX[coding];
      if (existsSync(encodedPath))
        variants[coding] = { body: new Uint8Array(readFileSync(encodedPath)), etag: `"${tag}-${coding}"` };
    }
    files.set(`/${relative(distDir, path).split(sep).join("/")}`, {
      contentType: getMimeType(entry.name) ?? "application/octet-stream",
      cacheControl: path.startsWith(assetsDir) ? IMMUTABLE : REVALIDATE,
      variants,
    });
  }
  return files;
}

/** `If-None-Match` names this ETag (weak comparison, as RFC 9110 §13.1.2 asks for GET). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);
}

/** The file in the coding the client prefers, or a 304 when it already holds that representation. */
function sendFile(c: Context<AppEnv>, file: StaticFile, extraHeaders: Record<string, string> = {}): Response {
  const available = PRECOMPRESSED_CODINGS.filter((coding) => file.variants[coding] !== undefined);
  const coding = chooseEncoding(c.req.header("accept-encoding"), available);
  const variant = file.variants[coding] ?? file.variants.identity;
  const headers = new Headers({
    "Content-Type": file.contentType,
    "Cache-Control": file.cacheControl,
    "Content-Security-Policy": WEB_CONTENT_SECURITY_POLICY,
    ETag: variant.etag,
    ...extraHeaders,
  });
  // Caches must key on Accept-Encoding wherever the answer depends on it.
  if (available.length > 0) headers.append("Vary", "Accept-Encoding");
  if (matchesEtag(c.req.header("if-none-match"), variant.etag))
    return new Response(null, { status: 304, headers });
  if (coding !== "identity") headers.set("Content-Encoding", coding);
  headers.set("Content-Length", String(variant.body.byteLength));
  // Hono answers HEAD through this GET handler and drops the body itself, keeping these headers.
  return new Response(variant.body, { status: 200, headers });
}

/**
 * Paths that name a file, the build's asset folder or a server namespace: when no such file exists the
 * answer is a real 404, never index.html. Any other path may be a client-side route, so a browser
 * navigating there gets the app, which shows its own "not found" page for routes it does not know
 * (the server keeps no copy of the client's route list, which would drift).
 */
function isServerPath(path: string): boolean {
  return (
    extname(path) !== "" ||
    path === "/v1" ||
    path.startsWith("/v1/") ||
    path.startsWith("/assets/") ||
    path.startsWith("/.well-known/")
  );
}

/** The static-file sub-app, or undefined (with a warning) when the web app has not been built. */
export function webRoutes({ distDir, logger }: WebRoutesOptions): Hono<AppEnv> | undefined {
  const indexFile = join(distDir, "index.html");
  if (!existsSync(indexFile)) {
    logger.warn({ distDir }, "the web app is not built (run `pnpm build`); only the API is served");
    return undefined;
  }
  const files = loadStaticFiles(distDir);
  const index = files.get("/index.html");

  return new Hono<AppEnv>().get(
    "*",
    async function staticFile(c, next) {
      const file = c.req.path === "/" ? index : files.get(c.req.path);
      if (!file) return next();
      labelRoute(c, WEB_ROUTE_LABEL);
      return sendFile(c, file);
    },
    async function spaFallback(c, next) {
      const acceptsHtml = c.req.header("accept")?.includes("text/html") ?? false;
      if (!index || !acceptsHtml || isServerPath(c.req.path)) return next();
      labelRoute(c, WEB_ROUTE_LABEL);
      return sendFile(c, index, { Vary: "Accept" });
    },
  );
}
