import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "#test-support";
import { WEB_CONTENT_SECURITY_POLICY } from "./web.routes.js";

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head></html>';
const HTML = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
const BIG_CSS = `${".rule { color: red; }\n".repeat(200)}`;

describe("the web app served next to the API", () => {
  let root: string;
  let distDir: string;
  let t: TestApp;
  let bare: TestApp;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "web-dist-"));
    distDir = join(root, "dist");
    await mkdir(join(distDir, "assets"), { recursive: true });
    await writeFile(join(root, "secret.txt"), "SECRET");
    await writeFile(join(distDir, "index.html"), INDEX);
    await writeFile(join(distDir, "assets", "app-abc123.js"), "export {};\n");
    await writeFile(join(distDir, "assets", "app-abc123.js.map"), '{"sources":["../src/main.ts"]}');
    await writeFile(join(distDir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    await writeFile(join(distDir, "assets", "big-abc123.css"), BIG_CSS);
    await writeFile(join(distDir, "assets", "big-abc123.css.br"), brotliCompressSync(BIG_CSS));
    await writeFile(join(distDir, "assets", "big-abc123.css.gz"), gzipSync(BIG_CSS));
    t = await createTestApp("postgres", { webDistDir: distDir });
    bare = await createTestApp("postgres", { webDistDir: join(distDir, "missing") });
  });
  afterAll(async () => {
    await t?.dispose();
    await bare?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it("serves index.html at / with the pages' CSP and no caching", async () => {
    const response = await t.request("/", { headers: HTML });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toBe(WEB_CONTENT_SECURITY_POLICY);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toBe(INDEX);
  });

  it("serves hashed assets as immutable", async () => {
    const response = await t.request("/assets/app-abc123.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect(response.headers.get("cache-control")).toContain("immutable");
    expect(response.headers.get("content-security-policy")).toBe(WEB_CONTENT_SECURITY_POLICY);
  });

  it("sends the precompressed copy the client prefers, with Vary and that copy's length and ETag", async () => {
    const br = await t.request("/assets/big-abc123.css", { headers: { "accept-encoding": "gzip, br" } });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("vary")).toMatch(/accept-encoding/i);
    const body = Buffer.from(await br.arrayBuffer());
    expect(Number(br.headers.get("content-length"))).toBe(body.byteLength);
    expect(brotliDecompressSync(body).toString("utf8")).toBe(BIG_CSS);

    const gzip = await t.request("/assets/big-abc123.css", {
      headers: { "accept-encoding": "br;q=0.1, gzip" },
    });
    expect(gzip.headers.get("content-encoding")).toBe("gzip");
    const plain = await t.request("/assets/big-abc123.css");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(BIG_CSS);
    expect(new Set([br, gzip, plain].map((r) => r.headers.get("etag"))).size).toBe(3);

    const cached = await t.request("/assets/big-abc123.css", {
      headers: { "accept-encoding": "br", "if-none-match": br.headers.get("etag") ?? "" },
    });
    expect(cached.status).toBe(304);
  });

  it("sends a small file as it is, without Vary", async () => {
    const response = await t.request("/favicon.svg", { headers: { "accept-encoding": "br, gzip" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("vary")).toBeNull();
    expect(response.headers.get("cache-control")).toBe("no-cache");
  });

  it("answers a browser navigating to a client-side route with index.html", async () => {
    const response = await t.request("/profile", { headers: HTML });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(WEB_CONTENT_SECURITY_POLICY);
    expect(await response.text()).toBe(INDEX);
  });

  it.each([
    ["an API client asking for an unknown page", "/profile", {}],
    ["a missing asset", "/assets/nope-123.js", HTML],
    ["an unknown API path, even from a browser", "/v1/nope", HTML],
    ["an encoded path traversal", "/..%2fsecret.txt", HTML],
    ["a path traversal", "/assets/../../secret.txt", HTML],
    ["a source map left in the build", "/assets/app-abc123.js.map", {}],
    ["a source map asked for by a browser", "/assets/app-abc123.js.map", HTML],
    ["a missing file with an extension", "/logo.png", HTML],
    ["a folder-like path under /assets/", "/assets/nothing", HTML],
    ["an unknown well-known path", "/.well-known/nope", HTML],
    ["a precompressed copy by its own name", "/assets/big-abc123.css.gz", HTML],
  ])("keeps 404 problem+json for %s", async (_name, path, headers) => {
    const response = await t.request(path, { headers });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("leaves the API's routes and their headers alone", async () => {
    const health = await t.request("/health", { headers: HTML });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("content-security-policy")).not.toBe(WEB_CONTENT_SECURITY_POLICY);

    const me = await t.request("/v1/users/me", { headers: HTML });
    expect(me.status).toBe(401);
    expect(me.headers.get("content-type")).toBe("application/problem+json");
  });

  it("does not serve files on other methods", async () => {
    const response = await t.request("/", { method: "POST", headers: HTML });
    expect(response.status).toBe(404);
  });

  it("starts without a built web app and answers / with 404 problem+json", async () => {
    const response = await bare.request("/", { headers: HTML });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(bare.logs.lines.join("\n")).toMatch(/the web app is not built/);
  });

  it("labels metrics by route: the web app as `web`, API routes by template, unknown paths `unmatched`", async () => {
    await t.request("/", { headers: HTML });
    await t.request("/profile", { headers: HTML });
    await t.request("/assets/app-abc123.js");
    await t.request("/health");
    await t.request("/v1/users/me");
    await t.request("/v1/nope", { headers: HTML });
    const text = await (await t.request("/metrics")).text();
    const series = (route: string, status: number) =>
      new RegExp(
        `http_requests_total\\{[^}]*method="GET",route="${route.replace(/[/{}]/g, "\\$&")}",status="${status}"`,
      );
    expect(text).toMatch(series("web", 200));
    expect(text).toMatch(series("/health", 200));
    expect(text).toMatch(series("/v1/users/me", 401));
    expect(text).toMatch(series("unmatched", 404));
    expect(text).not.toMatch(series("unmatched", 200));
    expect(text).not.toMatch(series("web", 404));
  });
});
