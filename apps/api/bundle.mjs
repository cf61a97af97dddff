/**
 * Bundles the production entries after tsc: dist/server.js (Node) and dist/server-bun.js (Bun) become
 * esbuild bundles with the code they run and nothing else, so a process no longer loads every module of
 * every package it depends on (hundreds of files whose source V8 keeps in memory, most never called).
 * The other tsc outputs stay as they are: dist/migrate.js and dist/cli/*.js are run once by an operator,
 * and dist/app-type.* is what @app/web type-checks against.
 *
 * The dynamic imports in the entries stay dynamic (`splitting`), so a cluster primary loads config,
 * logger and cluster supervision only, and the app loads in the workers. Chunks sit beside the entries
 * in dist/ (not in a sub-folder): modules that find files from their own location (`import.meta.url`,
 * e.g. config.ts's ../../web/dist) must keep the depth they have in dist/.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";

/**
 * Packages imported at run time from node_modules instead of being bundled, and why:
 * - @app/auth: its password hashers are native bindings (@node-rs/bcrypt, and any other it adds) that
 *   load a platform-specific .node file through their own package resolution; keeping the package
 *   external means a binding it adds needs no change here. It is small (jose, two hono helpers).
 * - @electric-sql/pglite: finds its WebAssembly and data files next to its own modules; only the
 *   embedded-database mode imports it (dynamically), and it must resolve from @app/api, which is why
 *   @app/api lists it as a dependency.
 * - pino, pino-pretty, pino-loki: transports run in worker threads (thread-stream) that load their
 *   targets by package name and pino's own worker file by path.
 * - @node-rs/*: native bindings, should @app/api ever import one itself (it must then list it).
 * @scalar/api-reference and @zxcvbn-ts/language-common are not imported (found with createRequire at
 * run time), so esbuild never sees them; they stay dependencies of @app/api.
 */
const EXTERNAL = ["@app/auth", "@electric-sql/pglite", "pino", "pino-pretty", "pino-loki", "@node-rs/*"];

/**
 * @app/core finds its migrations from its own file (`../../drizzle` from dist/db/migrate.js). Bundled,
 * that module lives in apps/api/dist/, where the same folder is reached through @app/api's own
 * node_modules (a symlink in the workspace, a copy in a `pnpm deploy` folder such as the images').
 */
const MIGRATIONS_FROM_CORE = 'new URL("../../drizzle", import.meta.url)';
const MIGRATIONS_FROM_BUNDLE = 'new URL("../node_modules/@app/core/drizzle", import.meta.url)';

/** @type {import("esbuild").Plugin} */
const coreMigrationsFolder = {
  name: "core-migrations-folder",
  setup(pluginBuild) {
    let rewritten = false;
    pluginBuild.onLoad({ filter: /[\\/]core[\\/]dist[\\/]db[\\/]migrate\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes(MIGRATIONS_FROM_CORE)) {
        throw new Error(`${args.path} no longer contains ${MIGRATIONS_FROM_CORE}: update bundle.mjs`);
      }
      rewritten = true;
      return { contents: source.replace(MIGRATIONS_FROM_CORE, MIGRATIONS_FROM_BUNDLE), loader: "js" };
    });
    pluginBuild.onEnd((result) => {
      if (result.errors.length === 0 && !rewritten) {
        result.errors.push({
          text: "@app/core's migrate.js was not bundled: the migrations path rewrite is stale",
        });
      }
    });
  },
};

const require = createRequire(import.meta.url);
for (const name of EXTERNAL.filter((pattern) => !pattern.includes("*"))) {
  // A bundle imports its externals from apps/api/dist: each must resolve from @app/api itself.
  try {
    require.resolve(`${name}/package.json`);
  } catch (error) {
    if (error?.code === "MODULE_NOT_FOUND") {
      throw new Error(`${name} is external to the server bundle but not a dependency of @app/api`);
    }
  }
}

const dist = new URL("./dist/", import.meta.url);
for (const file of readdirSync(dist)) {
  if (file.startsWith("chunk-")) rmSync(new URL(file, dist));
}

await build({
  entryPoints: { server: "src/server.ts", "server-bun": "src/server-bun.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  external: EXTERNAL,
  chunkNames: "chunk-[hash]",
  // Smaller source text is less memory (V8 keeps every module's source); names stay for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: "linked",
  legalComments: "linked",
  // CommonJS dependencies (nodemailer, prom-client, ...) call require() for Node's modules.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  plugins: [coreMigrationsFolder],
  logLevel: "warning",
});
