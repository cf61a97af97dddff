import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const API_DIR = fileURLToPath(new URL("../..", import.meta.url));
const MIGRATIONS = "packages/core/drizzle/";

export interface PreviousRelease {
  commit: string;
  /** The commit whose migrations this release adds on top of the previous one. */
  migrationsCommit: string;
  serverEntry: string;
  migrateEntry: string;
}

function git(args: string[], cwd: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/**
 * The release before the last change to the migrations: the first parent of the newest first-parent
 * commit that touched packages/core/drizzle. Its server and migrator are built once per commit (from
 * `git archive`, `pnpm install --offline --frozen-lockfile` from the local store, transpile-only tsc)
 * into the system temp folder, so only the first run pays for the build.
 */
export async function buildPreviousRelease(): Promise<PreviousRelease> {
  let root: string;
  let migrationsCommit: string;
  let commit: string;
  try {
    root = git(["rev-parse", "--show-toplevel"], API_DIR);
    migrationsCommit = git(["log", "--first-parent", "-1", "--format=%H", "--", MIGRATIONS], root);
    commit = git(["rev-parse", `${migrationsCommit}^1`], root);
  } catch (error) {
    throw new Error(
      "The mixed-version test builds the previous release from git history, which this checkout lacks " +
        `(a shallow clone or a source tarball): ${(error as Error).message}. Fetch full history (git fetch --unshallow).`,
    );
  }
  // Outside the checkout: under a node_modules folder, tsc refuses to name the build's own dependencies.
  const dir = join(tmpdir(), "user-management-previous-release", commit);
  const done = join(dir, ".built");
  const release = {
    commit,
    migrationsCommit,
    serverEntry: join(dir, "apps/api/dist/server.js"),
    migrateEntry: join(dir, "apps/api/dist/migrate.js"),
  };
  if (existsSync(done)) return release;

  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const archive = execFileSync("git", ["archive", "--format=tar", commit], { cwd: root, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  // The pnpm that runs this suite (npm_execpath) when there is one, else the one on PATH.
  const execPath = process.env.npm_execpath ?? "";
  const pnpm = /pnpm\.c?js$/.test(execPath) ? [process.execPath, execPath] : ["pnpm"];
  const [command = "pnpm", ...prefix] = pnpm;
  const install = (mode: string) =>
    run(command, [...prefix, "install", mode, "--frozen-lockfile", "--config.confirmModulesPurge=false"], {
      cwd: dir,
      env: { ...process.env, CI: "true" },
      maxBuffer: 1 << 26,
    });
  // The store already holds the packages unless the previous release used ones this one no longer does.
  await install("--offline").catch(() => install("--prefer-offline"));
  // Only the JavaScript is needed: transpile without type checking, the libraries in parallel, then the api.
  const tsc = join(dir, "node_modules", "typescript", "bin", "tsc");
  const build = (pkg: string) =>
    run(process.execPath, [tsc, "-p", "tsconfig.build.json", "--noCheck"], { cwd: join(dir, pkg) });
  const libraries = (await readdir(join(dir, "packages")))
    .map((name) => `packages/${name}`)
    .filter((pkg) => existsSync(join(dir, pkg, "tsconfig.build.json")));
  await Promise.all(libraries.map(build));
  await build("apps/api");
  await writeFile(done, `${commit}\n`);
  return release;
}
