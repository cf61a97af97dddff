/**
 * How the production build of the web app travels: the built server (on Node and on Bun) serving the
 * real apps/web/dist, asked over raw HTTP so the bytes, Content-Encoding and Content-Length are what
 * the socket carried (fetch would negotiate and decompress on its own).
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, runtimes, startServer } from "../../api/test/support/server-process.js";
import { MIN_COMPRESS_BYTES } from "../build-steps/precompress.js";

const DIST = fileURLToPath(new URL("../dist", import.meta.url));
const BROWSER_ENCODINGS = "gzip, deflate, br, zstd";
const IMMUTABLE = "public, max-age=31536000, immutable";

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function raw(baseUrl: string, path: string, headers: Record<string, string> = {}, method = "GET") {
  const url = new URL(path, baseUrl);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The body as the client reads it, whichever encoding the server chose. */
function decodedBody(response: RawResponse): Buffer {
  const coding = response.headers["content-encoding"];
  if (coding === "br") return brotliDecompressSync(response.body);
  if (coding === "gzip") return gunzipSync(response.body);
  return response.body;
}

const distFiles = readdirSync(DIST, { recursive: true, encoding: "utf8" });
const assetOf = (extension: string) => {
  const name = distFiles.find((file) => file.startsWith("assets/") && file.endsWith(extension));
  if (!name) throw new Error(`no ${extension} in ${DIST}: build @app/web first`);
  return `/${name}`;
};

describe("the production build", () => {
  it("contains no source map, and no sourceMappingURL comment points at one", () => {
    expect(distFiles.filter((file) => file.endsWith(".map"))).toEqual([]);
    for (const file of distFiles.filter((name) => /\.(js|css)$/.test(name)))
      expect(readFileSync(join(DIST, file), "utf8")).not.toMatch(/sourceMappingURL/);
  });

  it("has a brotli and a gzip copy of every text asset above the threshold, and of nothing else", () => {
    for (const file of distFiles.filter((name) => /\.(js|css|html|svg)$/.test(name))) {
      const size = readFileSync(join(DIST, file)).byteLength;
      const compressed = distFiles.includes(`${file}.br`) && distFiles.includes(`${file}.gz`);
      expect({ file, compressed }).toEqual({ file, compressed: size >= MIN_COMPRESS_BYTES });
      if (!compressed) continue;
      const original = readFileSync(join(DIST, file));
      expect(brotliDecompressSync(readFileSync(join(DIST, `${file}.br`)))).toEqual(original);
      expect(gunzipSync(readFileSync(join(DIST, `${file}.gz`)))).toEqual(original);
    }
    expect(distFiles.filter((name) => /\.(br|gz)$/.test(name)).length).toBeGreaterThanOrEqual(4);
  });
});

describe.each(runtimes)("the web app served by the built %s server", (runtime) => {
  let server: RunningServer;
  let dataDir: string;
  const script = assetOf(".js");
  const style = assetOf(".css");
  const scriptBytes = readFileSync(join(DIST, script));

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "web-delivery-"));
    server = await startServer(
      {
        DATA_DIR: dataDir,
        WEB_DIST_DIR: DIST,
        BCRYPT_COST: "4",
        JWT_SECRET: "web-delivery-test-secret-0123456789abcdef",
      },
      { runtime, timeoutMs: 90_000 },
    );
  }, 120_000);
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    [BROWSER_ENCODINGS, "br"],
    ["gzip, deflate", "gzip"],
    ["br;q=0.5, gzip;q=0.9", "gzip"],
    ["gzip;q=0, br;q=0", undefined],
    ["identity", undefined],
  ])(
    "Accept-Encoding %j: the script comes as %s, with Vary, its own length and ETag",
    async (accept, coding) => {
      const response = await raw(server.url, script, { "accept-encoding": accept });
      expect(response.status).toBe(200);
      expect(response.headers["content-encoding"]).toBe(coding);
      expect(response.headers.vary).toMatch(/accept-encoding/i);
      expect(response.headers["content-type"]).toMatch(/javascript/);
      expect(response.headers["cache-control"]).toBe(IMMUTABLE);
      expect(Number(response.headers["content-length"])).toBe(response.body.byteLength);
      expect(decodedBody(response).equals(scriptBytes)).toBe(true);
      if (coding) expect(response.body.byteLength).toBeLessThan(scriptBytes.byteLength / 2);
    },
  );

  it("gives each encoding its own ETag and answers a matching If-None-Match with 304", async () => {
    const br = await raw(server.url, style, { "accept-encoding": "br" });
    const gzip = await raw(server.url, style, { "accept-encoding": "gzip" });
    const plain = await raw(server.url, style);
    const etags = [br, gzip, plain].map((response) => response.headers.etag);
    expect(new Set(etags).size).toBe(3);
    const again = await raw(server.url, style, {
      "accept-encoding": "br",
      "if-none-match": String(etags[0]),
    });
    expect(again.status).toBe(304);
    expect(again.body.byteLength).toBe(0);
    expect(again.headers.etag).toBe(etags[0]);
    expect(again.headers.vary).toMatch(/accept-encoding/i);
    // The gzip ETag does not validate the brotli representation.
    const other = await raw(server.url, style, {
      "accept-encoding": "br",
      "if-none-match": String(etags[1]),
    });
    expect(other.status).toBe(200);
  });

  it("answers HEAD with the GET's headers and no body", async () => {
    const get = await raw(server.url, script, { "accept-encoding": "br" });
    const head = await raw(server.url, script, { "accept-encoding": "br" }, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.byteLength).toBe(0);
    for (const name of [
      "content-encoding",
      "content-length",
      "etag",
      "vary",
      "cache-control",
      "content-type",
    ])
      expect({ name, value: head.headers[name] }).toEqual({ name, value: get.headers[name] });
  });

  it("caches index.html never and the hashed assets for a year", async () => {
    for (const path of ["/", "/index.html", "/profile"]) {
      const response = await raw(server.url, path, {
        accept: "text/html",
        "accept-encoding": BROWSER_ENCODINGS,
      });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers["cache-control"]).toBe("no-cache");
      // index.html may be large enough to be precompressed too: read it as a browser would.
      expect(decodedBody(response).toString("utf8")).toMatch(/^<!doctype html>/i);
    }
    const favicon = await raw(server.url, "/favicon.svg");
    expect(favicon.status).toBe(200);
    expect(favicon.headers["cache-control"]).toBe("no-cache");
  });

  it.each([
    ["a missing hashed asset", "/assets/index-missing.js"],
    ["a folder-like path under /assets/", "/assets/nothing-here"],
    ["a file name the build does not have", "/robots-nope.txt"],
    ["an image that does not exist", "/logo.png"],
    ["a source map next to the script", `${script}.map`],
    ["a precompressed copy asked for by name", `${script}.br`],
    ["an unknown API path", "/v1/nope"],
    ["an unknown well-known path", "/.well-known/nope"],
  ])("answers %s with a real 404, also to a browser", async (_name, path) => {
    const response = await raw(server.url, path, { accept: "text/html,*/*;q=0.8" });
    expect(response.status).toBe(404);
    expect(response.headers["content-type"]).toBe("application/problem+json");
    expect(response.headers["cache-control"]).not.toBe(IMMUTABLE);
  });

  it("still answers a browser on a client-side route with the app", async () => {
    for (const path of ["/sign-in", "/users", "/users/0190a5f0-0000-7000-8000-000000000000"]) {
      const response = await raw(server.url, path, { accept: "text/html" });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers["content-type"]).toMatch(/^text\/html/);
    }
  });
});
