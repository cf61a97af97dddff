/**
 * After `vite build`, writes a `.br` and a `.gz` beside every text file of the build that is worth it, so
 * neither the API (apps/api/src/routes/web.routes.ts) nor nginx (`gzip_static`) compresses per request.
 * Done once at maximum effort because the files never change after the build.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Plugin } from "vite";

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Text formats only: images and fonts are compressed already. */
const COMPRESSIBLE = new Set([
  ".html",
  ".js",
  ".mjs",
  ".css",
  ".svg",
  ".json",
  ".txt",
  ".xml",
  ".webmanifest",
]);

/** Below this a compressed copy saves less than the headers it adds (and a round of negotiation). */
export const MIN_COMPRESS_BYTES = 1024;

export interface PrecompressedFile {
  file: string;
  bytes: number;
  br: number;
  gzip: number;
}

/** Compresses every eligible file under `dir`; a variant that would not be smaller is not written. */
export async function precompressDir(dir: string): Promise<PrecompressedFile[]> {
  const written: PrecompressedFile[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !COMPRESSIBLE.has(extname(entry.name))) continue;
    const path = join(entry.parentPath, entry.name);
    const source = await readFile(path);
    if (source.byteLength < MIN_COMPRESS_BYTES) continue;
    const [br, gz] = await Promise.all([
      brotli(source, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: source.byteLength,
        },
      }),
      gzipAsync(source, { level: constants.Z_BEST_COMPRESSION }),
    ]);
    if (br.byteLength < source.byteLength) await writeFile(`${path}.br`, br);
    if (gz.byteLength < source.byteLength) await writeFile(`${path}.gz`, gz);
    written.push({
      file: path.slice(dir.length + 1),
      bytes: source.byteLength,
      br: br.byteLength,
      gzip: gz.byteLength,
    });
  }
  return written;
}

/** The Vite plugin: runs `precompressDir` on the output directory once the bundle is written. */
export function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "precompress",
    apply: "build",
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    async closeBundle() {
      const files = await precompressDir(outDir);
      for (const { file, bytes, br, gzip: gz } of files)
        this.info?.(`${file}: ${bytes} B → br ${br} B, gzip ${gz} B`);
    },
  };
}
