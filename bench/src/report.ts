import type { MemoryPeaks } from "./process-memory.js";

export type CeilingName = "framework" | "bcrypt" | "database";

export interface PhaseResult {
  /** What the table prints, e.g. `me @1k`, `login @1M`. */
  name: string;
  /** health, me, login, register, login-wrong. */
  kind: string;
  /** Which table size the phase ran against (phases run once are "small"). */
  scale: "small" | "large";
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
  ceiling: CeilingName | undefined;
  /** The phase's rate ÷ its ceiling's rate (bcrypt phases use the Little's-law rate). */
  ratio: number | undefined;
  /** Peak RSS of the server's processes during this phase, MiB (all together, largest one). */
  peakRssMiB?: { total: number; process: number } | undefined;
  /** /me only: its rate ÷ the database ceiling at the same table size (a /me is one PK lookup). */
  databaseRatio?: number | undefined;
}

export interface Ceilings {
  /** /health requests per second on the same server. */
  framework: number | undefined;
  /** verifyPassword calls per second, same process count and cost. */
  bcrypt: number | undefined;
  /** Primary-key lookups per second with postgres.js alone, same pool size and process count. */
  database: number | undefined;
  databaseLarge: number | undefined;
}

export interface TargetResult {
  name: string;
  value: string;
  target: string;
  pass: boolean | undefined;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: { cores: number; node: string; platform: string };
  settings: Record<string, unknown>;
  coldStartMs: number | undefined;
  ceilings: Ceilings;
  phases: PhaseResult[];
  scale: { me: number | undefined; login: number | undefined };
  memory: MemoryPeaks | undefined;
  targets: TargetResult[];
  notes: string[];
}

/** The rate a phase is judged by: bcrypt-bound phases are too slow for completed ÷ duration to be exact. */
export function judgedRate(phase: Pick<PhaseResult, "ceiling" | "requestsPerSecond" | "littleRate">): number {
  return phase.ceiling === "bcrypt" ? phase.littleRate : phase.requestsPerSecond;
}

export function ratioTo(value: number | undefined, ceiling: number | undefined): number | undefined {
  if (value === undefined || ceiling === undefined || ceiling <= 0) return undefined;
  return value / ceiling;
}

const find = (phases: PhaseResult[], kind: string, scale: "small" | "large" = "small") =>
  phases.find((phase) => phase.kind === kind && phase.scale === scale);

/** Large-scale rate ÷ small-scale rate for one kind of phase; undefined unless both ran. */
export function scaleRatio(phases: PhaseResult[], kind: string): number | undefined {
  const small = find(phases, kind, "small");
  const large = find(phases, kind, "large");
  if (!small || !large) return undefined;
  return ratioTo(judgedRate(large), judgedRate(small));
}

const pct = (ratio: number | undefined) => (ratio === undefined ? "–" : `${(ratio * 100).toFixed(1)} %`);

/** Each target of the issue, judged on what ran; `pass: undefined` when its phase did not run. */
export function evaluateTargets(input: {
  phases: PhaseResult[];
  ceilings: Ceilings;
  coldStartMs: number | undefined;
  memory: MemoryPeaks | undefined;
}): TargetResult[] {
  const { phases, coldStartMs, memory } = input;
  const targets: TargetResult[] = [];
  const atLeast = (name: string, ratio: number | undefined, minimum: number) =>
    targets.push({
      name,
      value: pct(ratio),
      target: `≥ ${minimum * 100} %`,
      pass: ratio === undefined ? undefined : ratio >= minimum,
    });

  atLeast("login ÷ bcrypt ceiling", find(phases, "login")?.ratio, 0.95);
  atLeast("registration ÷ bcrypt ceiling", find(phases, "register")?.ratio, 0.9);
  const me = find(phases, "me");
  atLeast("/me ÷ framework ceiling", me?.ratio, 0.5);
  targets.push({
    name: "/me p99",
    value: me ? `${me.latencyMs.p99} ms` : "–",
    target: "< 25 ms",
    pass: me ? me.latencyMs.p99 < 25 : undefined,
  });
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
  targets.push({
    name: "peak RSS, all processes",
    value: memory ? `${memory.peakTotalMiB} MiB` : "–",
    target: "< 200 MiB",
    pass: memory ? memory.peakTotalMiB < 200 : undefined,
  });
  targets.push({
    name: "peak RSS, one process",
    value: memory ? `${memory.peakProcessMiB} MiB` : "–",
    target: "< 100 MiB",
    pass: memory ? memory.peakProcessMiB < 100 : undefined,
  });
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
  targets.push({
    name: "cold start to first /health 200",
    value: coldStartMs === undefined ? "–" : `${coldStartMs} ms`,
    target: "< 500 ms",
    pass: coldStartMs === undefined ? undefined : coldStartMs < 500,
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

export function formatReport(report: BenchReport): string {
  const phaseRows = report.phases.map((p) => [
    p.name,
    String(p.connections),
    `${fixed(p.durationSeconds, 1)} s`,
    rate(p.requestsPerSecond),
    p.ceiling === "bcrypt" ? rate(p.littleRate) : "",
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
  const { ceilings } = report;
  const sections = [
    formatTable(
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
      phaseRows,
    ),
    "",
    formatTable(
      ["ceiling (same run)", "per second"],
      [
        ["framework: GET /health on the same server", rate(ceilings.framework)],
        ["bcrypt: verifyPassword, same processes and cost", rate(ceilings.bcrypt)],
        ["database: PK lookups, postgres.js alone (small)", rate(ceilings.database)],
        ["database: PK lookups, postgres.js alone (large)", rate(ceilings.databaseLarge)],
      ],
    ),
    "",
    `cold start: ${report.coldStartMs === undefined ? "–" : `${report.coldStartMs} ms`}   ` +
      (report.memory
        ? `peak RSS: ${report.memory.peakTotalMiB} MiB total, ${report.memory.peakProcessMiB} MiB largest process ` +
          `(${report.memory.processCount} process${report.memory.processCount === 1 ? "" : "es"}, ${report.memory.samples} samples)`
        : "peak RSS: –"),
    `scale (large ÷ small users): /me ${pct(report.scale.me)}, login ${pct(report.scale.login)}`,
    "",
    formatTable(
      ["target", "measured", "target", "result"],
      report.targets.map((t) => [
        t.name,
        t.value,
        t.target,
        t.pass === undefined ? "not run" : t.pass ? "pass" : "MISS",
      ]),
    ),
  ];
  if (report.notes.length > 0) sections.push("", ...report.notes.map((note) => `note: ${note}`));
  return sections.join("\n");
}

/** `1000` → `1k`, `1000000` → `1M`: phase names stay short. */
export function shortCount(count: number): string {
  if (count >= 1_000_000 && count % 1_000_000 === 0) return `${count / 1_000_000}M`;
  if (count >= 1_000 && count % 1_000 === 0) return `${count / 1_000}k`;
  return String(count);
}
