/**
 * `/docs`: Scalar's API reference, served entirely from this app (no CDN: air-gapped installs and a
 * strict CSP both work). The page holds no inline script, so `script-src 'self'` is enough; the
 * OpenAPI URL reaches the external init script through a data attribute.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import type { AppEnv } from "../app-env.js";
import { pageSecurityHeaders } from "../middleware/security-headers.js";

export const OPENAPI_PATH = "/openapi.json";

/** Where the standalone browser build of @scalar/api-reference is; resolved at start-up so a broken install fails early. */
function scalarBundlePath(): string {
  // The package exports no path to its browser build; find it beside the resolved main entry.
  const main = createRequire(import.meta.url).resolve("@scalar/api-reference");
  return join(dirname(main), "browser", "standalone.js");
}

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>User management API</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <div id="api-docs" data-openapi-url="${OPENAPI_PATH}"></div>
    <script src="/docs/scalar.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// withDefaultFonts: false keeps the page from fetching fonts from fonts.scalar.com.
const INIT_SCRIPT = `(function () {
  var target = document.getElementById("api-docs");
  window.Scalar.createApiReference(target, {
    url: target.getAttribute("data-openapi-url"),
    withDefaultFonts: false,
    authentication: { preferredSecurityScheme: "oauth2" },
  });
})();
`;

/** Scalar injects its styles as inline <style> elements; scripts stay same-origin only. */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'";

export function docsRoutes() {
  const bundlePath = scalarBundlePath();
  // Read on first use (~4 MB): most processes never serve the docs, and memory per process is budgeted.
  let bundle: string | undefined;
  const javascript = {
    "Content-Type": "text/javascript; charset=utf-8",
    "Cache-Control": "public, max-age=3600",
  };
  return new Hono<AppEnv>()
    .get("/docs", pageSecurityHeaders(DOCS_CONTENT_SECURITY_POLICY), (c) => c.html(PAGE))
    .get("/docs/scalar.js", (c) => {
      bundle ??= readFileSync(bundlePath, "utf8");
      return c.body(bundle, 200, javascript);
    })
    .get("/docs/init.js", (c) => c.body(INIT_SCRIPT, 200, javascript));
}
