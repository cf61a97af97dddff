/**
 * The web container (deploy/web/nginx.conf) must send the same security headers as the API sends for
 * the web app's pages: the values are read from a real app serving a built web app, so the two cannot
 * drift. nginx forgets every inherited `add_header` in a block that declares one of its own, so each
 * block that answers is checked for what it would really send.
 */

import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app.js";

const NGINX_CONF = fileURLToPath(new URL("../../../../deploy/web/nginx.conf", import.meta.url));
const SECURITY_HEADERS = [
  "content-security-policy",
  "strict-transport-security",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
] as const;

interface AddHeader {
  name: string;
  value: string;
  always: boolean;
}

/** `add_header Name value [always];` with the value bare or in double quotes. */
function addHeadersIn(block: string): AddHeader[] {
  const headers: AddHeader[] = [];
  for (const match of block.matchAll(/^\s*add_header\s+(\S+)\s+("([^"]*)"|\S+)(\s+always)?\s*;/gm)) {
    headers.push({
      name: (match[1] ?? "").toLowerCase(),
      value: match[3] ?? match[2] ?? "",
      always: Boolean(match[4]),
    });
  }
  return headers;
}

/** The server block's own directives and each location's body (this config nests no locations). */
function parseServer(conf: string) {
  const withoutComments = conf.replace(/#.*$/gm, "");
  const server = withoutComments.slice(withoutComments.indexOf("server {"));
  const locations = [...server.matchAll(/location\s+([^{]+)\{([^}]*)\}/g)].map((match) => ({
    selector: (match[1] ?? "").trim(),
    body: match[2] ?? "",
  }));
  const serverLevel = server.replace(/location\s+[^{]+\{[^}]*\}/g, "");
  return { serverLevel, locations };
}

/** What a location really sends: its own add_headers if it has any, else the server's. */
function effectiveHeaders(serverLevel: string, locationBody: string): AddHeader[] {
  const own = addHeadersIn(locationBody);
  return own.length > 0 ? own : addHeadersIn(serverLevel);
}

describe("deploy/web/nginx.conf", () => {
  let root: string;
  let t: TestApp;
  let page: Headers;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "nginx-web-"));
    await mkdir(join(root, "assets"), { recursive: true });
    await writeFile(join(root, "index.html"), "<!doctype html><title>app</title>");
    t = await createTestApp("pglite", { webDistDir: root });
    const response = await t.request("/", { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    page = response.headers;
  });
  afterAll(async () => {
    await t?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it("sends, from every location that serves files, the security headers the API sends for the web app", () => {
    const { serverLevel, locations } = parseServer(readFileSync(NGINX_CONF, "utf8"));
    const serving = locations.filter((location) => /try_files/.test(location.body));
    expect(serving.map((location) => location.selector)).toEqual(expect.arrayContaining(["/", "/assets/"]));
    for (const location of serving) {
      const sent = effectiveHeaders(serverLevel, location.body);
      for (const name of SECURITY_HEADERS) {
        const expected = page.get(name);
        expect(expected, `the API sends ${name} for the web app`).toBeTruthy();
        const header = sent.find((h) => h.name === name);
        expect({ location: location.selector, name, value: header?.value, always: header?.always }).toEqual({
          location: location.selector,
          name,
          value: expected,
          always: true,
        });
      }
    }
  });

  it("never serves a source map", () => {
    const { locations } = parseServer(readFileSync(NGINX_CONF, "utf8"));
    const mapLocation = locations.find((location) => location.selector === "~ \\.map$");
    expect(mapLocation?.body).toMatch(/return\s+404\s*;/);
  });

  it("sends the build's .gz copies with Vary: Accept-Encoding, and asks for no module the image lacks", () => {
    const { serverLevel, locations } = parseServer(readFileSync(NGINX_CONF, "utf8"));
    expect(serverLevel).toMatch(/^\s*gzip_static\s+on\s*;/m);
    expect(serverLevel).toMatch(/^\s*gzip_vary\s+on\s*;/m);
    // brotli_static is ngx_brotli's: an official nginx image would refuse to start on it.
    const conf = readFileSync(NGINX_CONF, "utf8").replace(/#.*$/gm, "");
    expect(conf).not.toMatch(/\bbrotli/);
    expect(conf).not.toMatch(/^\s*load_module/m);
    for (const location of locations) expect(location.body).not.toMatch(/gzip_static\s+off/);
  });

  it("caches only the hashed assets for a year, and never index.html", () => {
    const conf = readFileSync(NGINX_CONF, "utf8");
    const map = conf.slice(conf.indexOf("map "), conf.indexOf("}", conf.indexOf("map ")));
    expect(map).toMatch(/"~\^200 \/assets\/"\s+"public, max-age=31536000, immutable";/);
    expect(map).toMatch(/default\s+"no-cache";/);
  });

  it("answers a missing file, asset or well-known path with 404 and falls back to index.html only for the rest", () => {
    const { locations } = parseServer(readFileSync(NGINX_CONF, "utf8"));
    const bySelector = new Map(locations.map((location) => [location.selector, location.body]));
    expect(bySelector.get("/assets/")).toMatch(/try_files\s+\$uri\s+=404\s*;/);
    expect(bySelector.get("/.well-known/")).toMatch(/try_files\s+\$uri\s+=404\s*;/);
    const withExtension = locations.find(
      (location) => location.selector.startsWith("~") && !/map/.test(location.selector),
    );
    expect(withExtension?.body).toMatch(/try_files\s+\$uri\s+=404\s*;/);
    // The pattern nginx applies to the request path: file names match, client-side routes do not.
    const pattern = new RegExp((withExtension?.selector ?? "").replace(/^~\s*/, ""));
    expect(["/logo.png", "/assets/index-abc.js", "/robots.txt"].every((path) => pattern.test(path))).toBe(
      true,
    );
    expect(
      ["/profile", "/users/0190a5f0-0000-7000-8000-000000000000", "/"].some((path) => pattern.test(path)),
    ).toBe(false);
    expect(bySelector.get("/")).toMatch(/try_files\s+\$uri\s+\$uri\/\s+\/index\.html\s*;/);
  });
});
