import type { MemoryPeaks } from "./process-memory.js";

export type CeilingName = "framework" | "bcrypt" | "argon2id" | "database" | "refresh";
export type HashAlgorithm = "bcrypt" | "argon2id";
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ["bcrypt", "argon2id"];

export interface PhaseResult {
  /** What the table prints, e.g. `me @1k`, `login bcrypt @1M`. */
  name: string;
  /** health, me, refresh, mfa, login, register, login-wrong. */
  kind: string;
  /** Which table size the phase ran against (phases run once are "small"). */
  scale: "small" | "large";
  /** Login, registration and failed login: the server's PASSWORD_HASH. */
  algorithm?: HashAlgorithm | undefined;
  users: number;
  connections: number;
  durationSeconds: number;
  completed: number;
  /** completed ÷ duration. */
  requestsPerSecond: number;
  /** connections ÷ mean latency (Little's law): not quantised by whole batches of slow requests. */
  littleRate: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  status5xx: number;
  /** Responses whose status was not the one the phase expects (e.g. anything but 401 for a wrong password). */
  unexpectedStatus: number;
  statusCounts: Record<string, number>;
  /** Responses in each second, in order (a rate that sinks during a phase shows here). */
  perSecond?: number[] | undefined;
  ceiling: CeilingName | undefined;
  /** The phase's rate ÷ its ceiling's rate (hash-bound phases use the Little's-law rate). */
  ratio: number | undefined;
  /** Peak RSS of the server's processes during this phase, MiB (all together, largest one). */
  peakRssMiB?: { total: number; process: number } | undefined;
  /** /me only: its rate ÷ the database ceiling at the same table size (a /me is one PK lookup). */
  databaseRatio?: number | undefined;
}

export interface Ceilings {
  /** A bare Hono app answering /health on the same runtime and process count. */
  framework: number | undefined;
  /** Password verifies per second, same process count and parameters, per algorithm. */
  bcrypt: number | undefined;
  argon2id?: number | undefined;
  /** Primary-key lookups per second with postgres.js alone, same pool size and process count. */
  database: number | undefined;
  databaseLarge: number | undefined;
  /** The session service's refresh transaction per second without HTTP, same pool and processes. */
  refresh?: number | undefined;
}

export interface TargetResult {
  name: string;
  value: string;
  target: string;
  pass: boolean | undefined;
}

/** One runtime's part of a run: its own framework ceiling, server, phases and targets. */
export interface RuntimeRun {
  /** node, node24 or bun. */
  runtime: string;
  version: string;
  /** Spawn → first /health 200 of the server as configured (a cluster with WEB_CONCURRENCY > 1). */
  coldStartMs: number | undefined;
  /** The same for one process (WEB_CONCURRENCY=1). */
  coldStartSingleMs: number | undefined;
  ceilings: Ceilings;
  phases: PhaseResult[];
  scale: { me: number | undefined; login: number | undefined };
  memory: MemoryPeaks | undefined;
  /** Refreshes and password logins per second per core, for comparison with Keycloak's sizing guide. */
  perCore: { refreshes: number | undefined; logins: number | undefined };
  targets: TargetResult[];
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: { cores: number; node: string; platform: string };
  settings: Record<string, unknown>;
  /** The ceilings every runtime shares (hashing, database, refresh); each run adds its framework one. */
  ceilings: Ceilings;
  runtimes: RuntimeRun[];
  notes: string[];
}

/** Keycloak's sizing guide, per vCPU: refreshes and password logins (Argon2, 5 iterations, 7 MiB). */
export const KEYCLOAK_PER_VCPU = { refreshes: 120, logins: 15 } as const;

const HASH_CEILINGS = new Set<CeilingName | undefined>(["bcrypt", "argon2id"]);

/** The rate a phase is judged by: hash-bound phases are too slow for completed ÷ duration to be exact. */
export function judgedRate(phase: Pick<PhaseResult, "ceiling" | "requestsPerSecond" | "littleRate">): number {
  return HASH_CEILINGS.has(phase.ceiling) ? phase.littleRate : phase.requestsPerSecond;
}

/**
 * Mean rate of the last fifth of a phase ÷ that of its first fifth (both ≥ 1 s); undefined when the phase
 * is too short. Well under 1 means the server slows down under sustained load.
 */
export function driftOf(perSecond: number[] | undefined): number | undefined {
  if (!perSecond || perSecond.length < 5) return undefined;
  const width = Math.max(1, Math.floor(perSecond.length / 5));
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const first = mean(perSecond.slice(0, width));
  return first > 0 ? mean(perSecond.slice(-width)) / first : undefined;
}

export function ratioTo(value: number | undefined, ceiling: number | undefined): number | undefined {
  if (value === undefined || ceiling === undefined || ceiling <= 0) return undefined;
  return value / ceiling;
}

/** The first phase of a kind (and algorithm, for hash-bound ones) at a table size. */
export const findPhase = (
  phases: PhaseResult[],
  kind: string,
  scale: "small" | "large" = "small",
  algorithm?: HashAlgorithm,
) =>
  phases.find(
    (phase) =>
      phase.kind === kind &&
      phase.scale === scale &&
      (algorithm === undefined || phase.algorithm === algorithm),
  );

/** Large-scale rate ÷ small-scale rate for one kind of phase; undefined unless both ran. */
export function scaleRatio(
  phases: PhaseResult[],
  kind: string,
  algorithm?: HashAlgorithm,
): number | undefined {
  const large = findPhase(phases, kind, "large", algorithm);
  const small = findPhase(phases, kind, "small", large?.algorithm ?? algorithm);
  if (!small || !large) return undefined;
  return ratioTo(judgedRate(large), judgedRate(small));
}

/** Refreshes/s and (bcrypt) password logins/s ÷ the machine's cores: the database shares those cores. */
export function perCoreRates(phases: PhaseResult[], cores: number): RuntimeRun["perCore"] {
  const refresh = findPhase(phases, "refresh");
  const login = findPhase(phases, "login", "small", "bcrypt") ?? findPhase(phases, "login");
  return {
    refreshes: refresh && cores > 0 ? refresh.requestsPerSecond / cores : undefined,
    logins: login && cores > 0 ? judgedRate(login) / cores : undefined,
  };
}

const pct = (ratio: number | undefined) => (ratio === undefined ? "–" : `${(ratio * 100).toFixed(1)} %`);

/** Each target of the issue, judged on what ran; `pass: undefined` when its phase did not run. */
export function evaluateTargets(input: {
  phases: PhaseResult[];
  coldStartMs: number | undefined;
  coldStartSingleMs: number | undefined;
  memory: MemoryPeaks | undefined;
}): TargetResult[] {
  const { phases, coldStartMs, coldStartSingleMs, memory } = input;
  const targets: TargetResult[] = [];
  const atLeast = (name: string, ratio: number | undefined, minimum: number) =>
    targets.push({
      name,
      value: pct(ratio),
      target: `≥ ${Math.round(minimum * 100)} %`,
      pass: ratio === undefined ? undefined : ratio >= minimum,
    });
  const below = (name: string, value: number | undefined, limit: number, unit: string) =>
    targets.push({
      name,
      value: value === undefined ? "–" : `${value} ${unit}`,
      target: `< ${limit} ${unit}`,
      pass: value === undefined ? undefined : value < limit,
    });

  const me = findPhase(phases, "me");
  atLeast("/me ÷ framework ceiling", me?.ratio, 0.6);
  below("/me p99", me?.latencyMs.p99, 25, "ms");
  atLeast("refresh ÷ its database ceiling", findPhase(phases, "refresh")?.ratio, 0.5);
  for (const algorithm of HASH_ALGORITHMS) {
    atLeast(`login ÷ ${algorithm} ceiling`, findPhase(phases, "login", "small", algorithm)?.ratio, 0.95);
    atLeast(
      `registration ÷ ${algorithm} ceiling`,
      findPhase(phases, "register", "small", algorithm)?.ratio,
      0.95,
    );
  }
  for (const kind of ["me", "login"]) {
    const ratio = scaleRatio(phases, kind);
    targets.push({
      name: `${kind === "me" ? "/me" : "login"} large ÷ small users`,
      value: pct(ratio),
      target: "90 – 110 %",
      // the epsilon keeps 1.1 (as 1.1000000000000001) inside the band
      pass: ratio === undefined ? undefined : Math.abs(1 - ratio) <= 0.1 + 1e-9,
    });
  }
  below("peak RSS, whole server", memory?.peakTotalMiB, 200, "MiB");
  below("peak RSS, one process", memory?.peakProcessMiB, 90, "MiB");
  below("cold start, one process", coldStartSingleMs, 300, "ms");
  below("cold start, cluster", coldStartMs, 600, "ms");
  const failures = phases.reduce((sum, p) => sum + p.errors + p.timeouts + p.status5xx, 0);
  targets.push({
    name: "errors + timeouts + 5xx",
    value: String(failures),
    target: "0",
    pass: phases.length === 0 ? undefined : failures === 0,
  });
  const unexpected = phases.reduce((sum, p) => sum + p.unexpectedStatus, 0);
  targets.push({
    name: "unexpected statuses",
    value: String(unexpected),
    target: "0",
    pass: phases.length === 0 ? undefined : unexpected === 0,
  });
  return targets;
}

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

const fixed = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const rate = (value: number | undefined) =>
  value === undefined ? "–" : value >= 100 ? fixed(value) : fixed(value, 1);

function phaseTable(phases: PhaseResult[]): string {
  const rows = phases.map((p) => [
    p.name,
    String(p.connections),
    `${fixed(p.durationSeconds, 1)} s`,
    rate(p.requestsPerSecond),
    HASH_CEILINGS.has(p.ceiling) ? rate(p.littleRate) : "",
    `${p.latencyMs.p50}`,
    `${p.latencyMs.p99}`,
    String(p.errors + p.timeouts),
    String(p.non2xx),
    String(p.status5xx),
    p.peakRssMiB ? String(Math.round(p.peakRssMiB.total)) : "",
    [
      p.ceiling ? `${pct(p.ratio)} of ${p.ceiling}` : "",
      p.databaseRatio === undefined ? "" : `${pct(p.databaseRatio)} of database`,
    ]
      .filter((part) => part !== "")
      .join(", "),
  ]);
  return formatTable(
    [
      "phase",
      "conns",
      "time",
      "req/s",
      "conns/mean",
      "p50 ms",
      "p99 ms",
      "errors",
      "non-2xx",
      "5xx",
      "RSS MiB",
      "ratio",
    ],
    rows,
  );
}

const label = (run: RuntimeRun) => `${run.runtime} ${run.version}`;

/** Phases as rows, runtimes as columns: `req/s (ratio)` and p99 of each. */
export function sideBySide(runs: RuntimeRun[]): string {
  const names: string[] = [];
  for (const run of runs) for (const p of run.phases) if (!names.includes(p.name)) names.push(p.name);
  const header = ["phase", ...runs.flatMap((run) => [`${label(run)} req/s`, "ratio", "p99 ms"])];
  const rows = names.map((name) => [
    name,
    ...runs.flatMap((run) => {
      const p = run.phases.find((phase) => phase.name === name);
      if (!p) return ["–", "", ""];
      return [
        rate(judgedRate(p)),
        p.ratio === undefined ? "" : `${pct(p.ratio)} ${p.ceiling}`,
        String(p.latencyMs.p99),
      ];
    }),
  ]);
  const extra = (title: string, value: (run: RuntimeRun) => string) => [
    title,
    ...runs.flatMap((run) => [value(run), "", ""]),
  ];
  rows.push(
    extra("framework ceiling (bare Hono)", (run) => rate(run.ceilings.framework)),
    extra(
      "cold start, one process / cluster",
      (run) => `${run.coldStartSingleMs ?? "–"} / ${run.coldStartMs ?? "–"} ms`,
    ),
    extra("peak RSS, whole server / one process", (run) =>
      run.memory
        ? `${Math.round(run.memory.peakTotalMiB)} / ${Math.round(run.memory.peakProcessMiB)} MiB`
        : "–",
    ),
    extra("refreshes/s per core (Keycloak 120)", (run) => rate(run.perCore.refreshes)),
    extra("password logins/s per core (Keycloak 15)", (run) => rate(run.perCore.logins)),
  );
  return formatTable(header, rows);
}

export function formatReport(report: BenchReport): string {
  const { ceilings } = report;
  const sections: string[] = [];
  for (const run of report.runtimes) {
    sections.push(`${label(run)}`, phaseTable(run.phases), "");
  }
  sections.push(
    formatTable(
      ["ceiling (same run)", "per second"],
      [
        ...report.runtimes.map((run) => [
          `framework: bare Hono /health on ${label(run)}`,
          rate(run.ceilings.framework),
        ]),
        ["bcrypt: verifies, same processes and cost", rate(ceilings.bcrypt)],
        ["argon2id: verifies, same processes and parameters", rate(ceilings.argon2id)],
        ["database: PK lookups, postgres.js alone (small)", rate(ceilings.database)],
        ["database: PK lookups, postgres.js alone (large)", rate(ceilings.databaseLarge)],
        ["refresh: the session service's transaction, no HTTP", rate(ceilings.refresh)],
      ],
    ),
    "",
    sideBySide(report.runtimes),
    "",
  );
  const targetNames = report.runtimes[0]?.targets.map((t) => t.name) ?? [];
  sections.push(
    formatTable(
      ["target", "target", ...report.runtimes.map(label)],
      targetNames.map((name) => {
        const first = report.runtimes[0]?.targets.find((t) => t.name === name);
        return [
          name,
          first?.target ?? "",
          ...report.runtimes.map((run) => {
            const t = run.targets.find((target) => target.name === name);
            if (!t || t.pass === undefined) return "not run";
            return `${t.value} ${t.pass ? "pass" : "MISS"}`;
          }),
        ];
      }),
    ),
  );
  if (report.notes.length > 0) sections.push("", ...report.notes.map((note) => `note: ${note}`));
  return sections.join("\n");
}

/** `1000` → `1k`, `1000000` → `1M`: phase names stay short. */
export function shortCount(count: number): string {
  if (count >= 1_000_000 && count % 1_000_000 === 0) return `${count / 1_000_000}M`;
  if (count >= 1_000 && count % 1_000 === 0) return `${count / 1_000}k`;
  return String(count);
}
