/**
 * `pnpm bench`: the built API as a real server process on a throwaway PostgreSQL database, loaded by
 * autocannon from a separate process, with the ceilings it is judged against measured in the same run.
 *
 * Order (defaults, ~2.5 min): bcrypt ceiling 5 s → database ceiling 5 s → /health 10 s (framework
 * ceiling) → /me 10 s → /me with a session id 10 s → /me with JWT_ALGORITHM=HS256 10 s (a second server) → login 20 s → registration 20 s → failed login 20 s → seed 1M users (~15 s) →
 * database ceiling 5 s → /me 10 s → login 20 s. See the README's Performance section.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createKeySetProvider, createTokenService, hashPassword, type TokenService } from "@app/auth";
import { createDatabase, createSigningKeyStore } from "@app/core";
import postgres from "postgres";
import {
  type BcryptCeilingSpec,
  type CeilingMessage,
  type DatabaseCeilingSpec,
  idOf,
  type LoadSpec,
  type LoadSummary,
  type PhaseKind,
  seedSessionsSql,
  seedUsersSql,
  sessionIdOf,
} from "./load-spec.js";
import { type BenchOptions, parseOptions, USAGE } from "./options.js";
import { type MemoryPeaks, startMemorySampler } from "./process-memory.js";
import {
  type BenchReport,
  type CeilingName,
  type Ceilings,
  evaluateTargets,
  formatReport,
  judgedRate,
  type PhaseResult,
  ratioTo,
  scaleRatio,
  shortCount,
} from "./report.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVER_ENTRY = resolve(ROOT, "apps/api/dist/server.js");
const MIGRATE_ENTRY = resolve(ROOT, "apps/api/dist/migrate.js");
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const PASSWORD = "bench-password-1234";
/** Rate limits are set out of reach rather than switched off, so the limiter's cost is in the numbers. */
const UNREACHABLE_LIMIT = "1000000000";
/** `iss` the bench's servers stamp and require; the bench mints its /me tokens with the same. */
const BENCH_ISSUER = "http://bench.invalid";

const children = new Set<ChildProcess>();
let serverExited = () => false;
let phasePeaks: () => { total: number; process: number } | undefined = () => undefined;
const cleanups: Array<() => Promise<void>> = [];
const startedAt = performance.now();
const startedAtDate = new Date();

function log(line: string): void {
  clearProgress();
  process.stderr.write(`${line}\n`);
}

let progressShown = false;
let lastPlainProgress = 0;
function progress(label: string, elapsedSeconds: number, totalSeconds: number): void {
  const overall = Math.round((performance.now() - startedAt) / 1000);
  const text = `[${overall} s] ${label}: ${Math.min(elapsedSeconds, totalSeconds).toFixed(0)}/${totalSeconds} s`;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r\x1b[K${text}`);
    progressShown = true;
  } else if (performance.now() - lastPlainProgress >= 5_000 || elapsedSeconds === 0) {
    lastPlainProgress = performance.now();
    process.stderr.write(`${text}\n`);
  }
}
function clearProgress(): void {
  if (progressShown) process.stderr.write("\r\x1b[K");
  progressShown = false;
}

/** Runs `fn` while printing `label` with elapsed/total seconds. */
async function withProgress<T>(label: string, totalSeconds: number, fn: () => Promise<T>): Promise<T> {
  const begun = performance.now();
  progress(label, 0, totalSeconds);
  const timer = setInterval(() => progress(label, (performance.now() - begun) / 1000, totalSeconds), 500);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    clearProgress();
  }
}

function forkWorker(script: string): ChildProcess {
  const child = fork(here(script), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const onExit = (code: number | null) => reject(new Error(`worker exited with ${code} before answering`));
    child.once("exit", onExit);
    child.once("message", (message) => {
      child.off("exit", onExit);
      resolvePromise(message as T);
    });
  });
}

/** N worker processes warm up, start together, and their rates are summed. */
async function measureCeiling(
  script: string,
  spec: BcryptCeilingSpec | DatabaseCeilingSpec,
  processes: number,
) {
  const workers = Array.from({ length: processes }, () => forkWorker(script));
  const ready = await Promise.all(
    workers.map((worker) => {
      const answer = nextMessage<CeilingMessage>(worker);
      worker.send(spec);
      return answer;
    }),
  );
  for (const message of ready) if ("error" in message) throw new Error(`${script}: ${message.error}`);
  const results = await Promise.all(
    workers.map((worker) => {
      const answer = nextMessage<CeilingMessage>(worker);
      worker.send("go");
      return answer;
    }),
  );
  let rate = 0;
  for (const message of results) {
    if ("error" in message) throw new Error(`${script}: ${message.error}`);
    if ("rate" in message) rate += message.rate;
  }
  return rate;
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolvePromise(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolvePromise) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolvePromise(res.statusCode ?? 0);
    });
    req.once("error", () => resolvePromise(0));
    req.once("timeout", () => req.destroy());
    req.end();
  });
}

interface RunningServer {
  process: ChildProcess;
  /** Set once the bench asked it to stop, so its exit is not a crash. */
  stopping: boolean;
  port: number;
  coldStartMs: number;
  output: () => string;
  stop(): Promise<void>;
}

async function startServer(
  options: BenchOptions,
  databaseUrl: string,
  secret: string,
  extraEnv: Record<string, string> = {},
): Promise<RunningServer> {
  const port = await freePort();
  const nodeArgs = options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${resolve(options.cpuProfDir)}`] : [];
  const begun = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, SERVER_ENTRY], {
    cwd: ROOT,
    env: {
      PATH: options.path,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(options.poolSize),
      WEB_CONCURRENCY: String(options.webConcurrency),
      JWT_SECRET: secret,
      BCRYPT_COST: String(options.cost),
      LOG_LEVEL: options.logLevel,
      // The account-wide ceiling cannot go past 100; the login-wrong phase spreads its failures over
      // the seeded users, far below that per window.
      LOGIN_LIMIT_PER_ACCOUNT: "100",
      LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: UNREACHABLE_LIMIT,
      // The bench measures bcrypt's own ceiling, so nothing is refused for a full queue.
      PASSWORD_HASH_MAX_QUEUE: "10000",
      LOGIN_LIMIT_PER_ADDRESS: UNREACHABLE_LIMIT,
      REGISTER_LIMIT_PER_ADDRESS: UNREACHABLE_LIMIT,
      RATE_LIMIT_WINDOW_SECONDS: "60",
      JWT_ISSUER: BENCH_ISSUER,
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolvePromise) =>
    child.once("exit", () => {
      children.delete(child);
      resolvePromise();
    }),
  );

  let coldStartMs: number | undefined;
  while (coldStartMs === undefined) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
    if (performance.now() - begun > 60_000)
      throw new Error(`the server did not answer /health in 60 s:\n${output}`);
    if ((await getStatus(port, "/health")) === 200) coldStartMs = Math.round(performance.now() - begun);
    else await new Promise((r) => setTimeout(r, 2));
  }
  const running: RunningServer = {
    process: child,
    stopping: false,
    port,
    coldStartMs,
    output: () => output,
    async stop() {
      running.stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
  return running;
}

async function runPhase(
  kind: PhaseKind,
  scale: "small" | "large",
  spec: Omit<LoadSpec, "kind">,
  ceiling: { name: CeilingName; rate: number | undefined } | undefined,
  databaseCeiling?: number | undefined,
  variant?: string,
): Promise<PhaseResult> {
  const name = `${kind === "me" ? "/me" : kind}${variant ? ` ${variant}` : ""} @${shortCount(spec.users)}`;
  phasePeaks();
  const summary = await withProgress(name, spec.durationSeconds, async () => {
    const worker = forkWorker("load-worker.js");
    const answer = nextMessage<{ summary?: LoadSummary; error?: string }>(worker);
    worker.send({ kind, ...spec });
    const message = await answer;
    if (!message.summary) throw new Error(`load worker: ${message.error ?? "no summary"}`);
    return message.summary;
  });
  if (serverExited()) throw new Error(`the server exited during ${name}`);
  const phase: PhaseResult = {
    name,
    kind,
    scale,
    users: spec.users,
    connections: spec.connections,
    durationSeconds: summary.durationSeconds,
    completed: summary.completed,
    requestsPerSecond: summary.completed / summary.durationSeconds,
    littleRate: summary.latencyMs.mean > 0 ? spec.connections / (summary.latencyMs.mean / 1000) : 0,
    latencyMs: summary.latencyMs,
    errors: summary.errors,
    timeouts: summary.timeouts,
    non2xx: summary.non2xx,
    status5xx: summary.status5xx,
    unexpectedStatus: summary.unexpectedStatus,
    statusCounts: summary.statusCounts,
    ceiling: ceiling?.name,
    ratio: undefined,
    peakRssMiB: phasePeaks(),
  };
  phase.ratio = ceiling ? ratioTo(judgedRate(phase), ceiling.rate) : undefined;
  if (kind === "me") phase.databaseRatio = ratioTo(phase.requestsPerSecond, databaseCeiling);
  log(
    `${name}: ${phase.requestsPerSecond.toFixed(1)} req/s, p50 ${phase.latencyMs.p50} ms, p99 ${phase.latencyMs.p99} ms, ` +
      `statuses ${JSON.stringify(phase.statusCounts)}, errors ${phase.errors + phase.timeouts}`,
  );
  return phase;
}

/** A token service that signs like the server: EdDSA with the active key in the database. */
async function eddsaTokensOf(databaseUrl: string, secret: string): Promise<TokenService> {
  const database = await createDatabase({ url: databaseUrl, poolSize: 1 });
  try {
    const { active } = await createSigningKeyStore({
      db: database.db,
      secret,
      accessTokenTtlSeconds: 3600,
    }).load();
    return createTokenService({
      algorithm: "EdDSA",
      keys: createKeySetProvider({ activeKid: active.kid, keys: [{ ...active }] }),
      ttlSeconds: 3600,
      issuer: BENCH_ISSUER,
      audience: "user-management",
    });
  } finally {
    await database.close();
  }
}

function databaseUrlFor(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  // The child inherits nothing but PATH and what is passed, as the server does.
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: "pipe" });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("exit", (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${args.join(" ")}: ${output}`)),
    );
  });
}

async function main(options: BenchOptions): Promise<void> {
  for (const entry of [SERVER_ENTRY, MIGRATE_ENTRY]) {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm bench\` (it builds first)`);
  }
  const wants = (kind: PhaseKind) => options.only.length === 0 || options.only.includes(kind);
  const wantsBcrypt = wants("login") || wants("register") || wants("login-wrong");
  const notes: string[] = [];

  const admin = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
  const databaseName = `bench_${Date.now()}_${randomBytes(3).toString("hex")}`;
  await admin.unsafe(`create database "${databaseName}"`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists "${databaseName}" with (force)`);
    await admin.end({ timeout: 5 });
  });
  const databaseUrl = databaseUrlFor(options.databaseUrl, databaseName);
  const secret = randomBytes(48).toString("base64url");
  log(`database ${databaseName} created; migrating with apps/api/dist/migrate.js`);
  await run(process.execPath, [MIGRATE_ENTRY], {
    PATH: options.path,
    DATABASE_URL: databaseUrl,
    NODE_ENV: "production",
    JWT_SECRET: secret,
  });

  const hash = await hashPassword(PASSWORD, { cost: options.cost });
  const db = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  cleanups.unshift(() => db.end({ timeout: 5 }));
  const seed = async (from: number, to: number) => {
    const begun = performance.now();
    await withProgress(
      `seeding users ${shortCount(from)}…${shortCount(to)}`,
      Math.max(1, Math.round(to / 70_000)),
      async () => {
        await db.unsafe(seedUsersSql(), [hash, from, to]);
        await db`analyze users`;
      },
    );
    const seconds = (performance.now() - begun) / 1000;
    log(`seeded users ${from}…${to} in ${seconds.toFixed(1)} s`);
    return seconds;
  };
  const seedSeconds: Record<string, number> = {};
  seedSeconds["small"] = await seed(1, options.smallUsers);
  await db.unsafe(seedSessionsSql(), [1, options.smallUsers]);

  const server = await startServer(options, databaseUrl, secret);
  cleanups.unshift(() => server.stop());
  log(`server pid ${server.process.pid} answered /health after ${server.coldStartMs} ms (cold start)`);
  serverExited = () =>
    !server.stopping && (server.process.exitCode !== null || server.process.signalCode !== null);
  cleanups.unshift(async () => {
    if (serverExited()) log(`the server exited on its own; its output (last 20 kB):\n${server.output()}`);
  });
  const sampler = startMemorySampler(server.process.pid as number);
  phasePeaks = () => {
    const peaks = sampler.takePhasePeaks();
    return { total: peaks.peakTotalMiB, process: peaks.peakProcessMiB };
  };
  let memory: MemoryPeaks | undefined;

  // /me tokens are minted here, as the server would sign them: EdDSA with the active key it created
  // at start-up (read with the same secret), and HS256 for the comparison phase.
  const tokens = await eddsaTokensOf(databaseUrl, secret);
  const hs256Tokens = createTokenService({
    secret,
    ttlSeconds: 3600,
    issuer: BENCH_ISSUER,
    audience: "user-management",
  });
  // Without `sid` by default, so /me measures the user lookup alone; `withSession` mints what a login
  // hands out (a `sid` naming the user's seeded session), which adds the per-request session check.
  const tokensFor = async (users: number, service: TokenService = tokens, withSession = false) =>
    Promise.all(
      Array.from({ length: 1000 }, async () => {
        const n = 1 + Math.floor(Math.random() * users);
        const issued = await service.issue({
          subject: idOf(n),
          ...(withSession ? { sessionId: sessionIdOf(n) } : {}),
        });
        return issued.token;
      }),
    );

  const ceilings: Ceilings = {
    framework: undefined,
    bcrypt: undefined,
    database: undefined,
    databaseLarge: undefined,
  };
  const processes = options.webConcurrency;
  if (wantsBcrypt) {
    ceilings.bcrypt = await withProgress("bcrypt ceiling", options.ceilingDuration, () =>
      measureCeiling(
        "bcrypt-worker.js",
        { hash, password: PASSWORD, inFlight: 4, durationSeconds: options.ceilingDuration },
        processes,
      ),
    );
    log(
      `bcrypt ceiling: ${ceilings.bcrypt.toFixed(2)} verifies/s (${processes} processes × 4 in flight, cost ${options.cost})`,
    );
  }
  const databaseCeiling = (users: number) =>
    withProgress(`database ceiling @${shortCount(users)}`, options.ceilingDuration, () =>
      measureCeiling(
        "database-worker.js",
        {
          url: databaseUrl,
          poolSize: options.poolSize,
          inFlight: Math.max(options.poolSize, Math.ceil(options.connections / processes)),
          durationSeconds: options.ceilingDuration,
          users,
        },
        processes,
      ),
    );
  if (wants("me")) {
    ceilings.database = await databaseCeiling(options.smallUsers);
    log(`database ceiling @${shortCount(options.smallUsers)}: ${ceilings.database.toFixed(0)} lookups/s`);
  }

  const url = `http://127.0.0.1:${server.port}`;
  const cheap = {
    url,
    connections: options.connections,
    durationSeconds: options.duration,
    password: PASSWORD,
    timeoutSeconds: 10,
  };
  const bcrypt = {
    url,
    connections: options.bcryptConnections,
    durationSeconds: options.bcryptDuration,
    password: PASSWORD,
    // 16 connections queue ~2 s behind bcrypt on 2 cores; a noisy machine can triple that.
    timeoutSeconds: 30,
  };
  const phases: PhaseResult[] = [];
  // The server keeps hashing for requests whose connections autocannon dropped at the end of a phase;
  // waiting them out keeps one phase's backlog out of the next one's numbers.
  const settle = async () => {
    const seconds = Math.min(30, options.bcryptConnections / (ceilings.bcrypt ?? 4) + 0.5);
    await withProgress(
      "letting in-flight bcrypt work finish",
      Math.ceil(seconds),
      () => new Promise((r) => setTimeout(r, seconds * 1000)),
    );
  };
  const framework = () => ({ name: "framework" as const, rate: ceilings.framework });
  const bcryptCeiling = () => ({ name: "bcrypt" as const, rate: ceilings.bcrypt });

  // The same /me load against a second server that signs and verifies HS256, on the same database:
  // what the default EdDSA costs. Its memory peaks are the main server's (the sampler follows that one).
  const hs256MePhase = async (users: number) => {
    const hs256 = await startServer(options, databaseUrl, secret, { JWT_ALGORITHM: "HS256" });
    try {
      return await runPhase(
        "me",
        "small",
        {
          ...cheap,
          url: `http://127.0.0.1:${hs256.port}`,
          users,
          tokens: await tokensFor(users, hs256Tokens),
          expectStatus: 200,
        },
        framework(),
        ceilings.database,
        "HS256",
      );
    } finally {
      await hs256.stop();
    }
  };

  const scaledPhases = async (scale: "small" | "large", users: number) => {
    if (wants("me")) {
      phases.push(
        await runPhase(
          "me",
          scale,
          { ...cheap, users, tokens: await tokensFor(users), expectStatus: 200 },
          framework(),
          scale === "small" ? ceilings.database : ceilings.databaseLarge,
          "EdDSA",
        ),
      );
      if (scale === "small") {
        // The same load with a login's tokens: what the per-request session check (`sid`) costs.
        phases.push(
          await runPhase(
            "me",
            scale,
            { ...cheap, users, tokens: await tokensFor(users, tokens, true), expectStatus: 200 },
            framework(),
            ceilings.database,
            "EdDSA+sid",
          ),
        );
        phases.push(await hs256MePhase(users));
      }
    }
    if (wants("login")) {
      phases.push(await runPhase("login", scale, { ...bcrypt, users, expectStatus: 200 }, bcryptCeiling()));
      // Nothing follows the last login, so nothing to protect from its backlog.
      if (scale === "small") await settle();
    }
  };

  try {
    if (wants("health")) {
      const health = await runPhase(
        "health",
        "small",
        { ...cheap, users: options.smallUsers, expectStatus: 200 },
        undefined,
      );
      ceilings.framework = health.requestsPerSecond;
      health.ceiling = "framework";
      health.ratio = 1;
      phases.push(health);
    }
    await scaledPhases("small", options.smallUsers);
    if (wants("register")) {
      phases.push(
        await runPhase(
          "register",
          "small",
          { ...bcrypt, users: options.smallUsers, expectStatus: 201 },
          bcryptCeiling(),
        ),
      );
      await settle();
    }
    if (wants("login-wrong")) {
      phases.push(
        await runPhase(
          "login-wrong",
          "small",
          { ...bcrypt, users: options.smallUsers, expectStatus: 401 },
          bcryptCeiling(),
        ),
      );
      await settle();
    }
    if (!options.scaleSmallOnly && (wants("me") || wants("login"))) {
      seedSeconds["large"] = await seed(options.smallUsers + 1, options.largeUsers);
      if (wants("me")) {
        ceilings.databaseLarge = await databaseCeiling(options.largeUsers);
        log(
          `database ceiling @${shortCount(options.largeUsers)}: ${ceilings.databaseLarge.toFixed(0)} lookups/s`,
        );
      }
      await scaledPhases("large", options.largeUsers);
    }
  } finally {
    memory = sampler.stop();
  }
  await server.stop();
  if (server.process.exitCode !== 0)
    notes.push(`the server exited with ${server.process.exitCode} on SIGTERM`);

  const observed = memory.processCount;
  if (observed < options.webConcurrency) {
    notes.push(
      `WEB_CONCURRENCY=${options.webConcurrency} but ${observed} server process(es) were seen; the ceilings assume ${options.webConcurrency}`,
    );
  }
  const report: BenchReport = {
    startedAt: startedAtDate.toISOString(),
    finishedAt: new Date().toISOString(),
    totalSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
    machine: { cores: availableParallelism(), node: process.version, platform: process.platform },
    settings: {
      duration: options.duration,
      connections: options.connections,
      bcryptDuration: options.bcryptDuration,
      bcryptConnections: options.bcryptConnections,
      ceilingDuration: options.ceilingDuration,
      cost: options.cost,
      webConcurrency: options.webConcurrency,
      poolSize: options.poolSize,
      logLevel: options.logLevel,
      smallUsers: options.smallUsers,
      largeUsers: options.scaleSmallOnly ? undefined : options.largeUsers,
      seedSeconds,
      database: databaseName,
      command: `pnpm bench ${process.argv.slice(2).join(" ")}`.trim(),
    },
    coldStartMs: server.coldStartMs,
    ceilings,
    phases,
    scale: { me: scaleRatio(phases, "me"), login: scaleRatio(phases, "login") },
    memory,
    targets: evaluateTargets({ phases, ceilings, coldStartMs: server.coldStartMs, memory }),
    notes,
  };
  if (interrupted) return; // a cut-short run is not a result
  const output = resolve(ROOT, options.output);
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatReport(report)}\n\nwritten to ${output} in ${report.totalSeconds} s\n`);
}

async function cleanup(): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  for (const step of cleanups.splice(0)) {
    await step().catch((error: unknown) =>
      log(`cleanup: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping the server and dropping the database…`);
    void cleanup().finally(() => process.exit(130));
  });
}

let options: BenchOptions | "help";
try {
  // biome-ignore lint/style/noProcessEnv: the bench's one read of the environment, handed to parseOptions
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options === "help") {
  process.stdout.write(`${USAGE}\n`);
} else {
  try {
    await main(options);
    await cleanup();
  } catch (error) {
    // After Ctrl-C the workers die first and main() fails on that: not worth a stack trace.
    if (interrupted) await new Promise(() => {});
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    process.exitCode = 1;
  }
}
