import { describe, expect, it } from "vitest";
import type { MemoryPeaks } from "./process-memory.js";
import {
  type BenchReport,
  type Ceilings,
  driftOf,
  evaluateTargets,
  formatReport,
  formatTable,
  judgedRate,
  type PhaseResult,
  perCoreRates,
  type RuntimeRun,
  ratioTo,
  scaleRatio,
  shortCount,
} from "./report.js";

function phase(overrides: Partial<PhaseResult> & Pick<PhaseResult, "kind">): PhaseResult {
  return {
    name: overrides.kind,
    scale: "small",
    users: 1000,
    connections: 64,
    durationSeconds: 10,
    completed: 10_000,
    requestsPerSecond: 1000,
    littleRate: 1000,
    latencyMs: { p50: 5, p99: 20, mean: 6, max: 40 },
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    status5xx: 0,
    unexpectedStatus: 0,
    statusCounts: { "200": 10_000 },
    ceiling: undefined,
    ratio: undefined,
    ...overrides,
  };
}

const ceilings: Ceilings = {
  framework: 10_000,
  bcrypt: 8,
  argon2id: 20,
  database: 9_000,
  databaseLarge: 8_800,
  refresh: 1_000,
};
const memory: MemoryPeaks = {
  peakTotalMiB: 150,
  peakProcessMiB: 70,
  perProcessMiB: { "1": 40, "2": 70 },
  processCount: 3,
  samples: 100,
};

function healthyRun(): PhaseResult[] {
  return [
    phase({ kind: "health", requestsPerSecond: 10_000, ceiling: "framework", ratio: 1 }),
    phase({ kind: "me", requestsPerSecond: 6_000, ceiling: "framework", ratio: 0.6 }),
    phase({ kind: "refresh", requestsPerSecond: 600, ceiling: "refresh", ratio: 0.6 }),
    phase({ kind: "mfa", requestsPerSecond: 400 }),
    phase({
      kind: "login",
      algorithm: "bcrypt",
      connections: 16,
      littleRate: 7.8,
      requestsPerSecond: 7.2,
      ceiling: "bcrypt",
      ratio: 0.975,
    }),
    phase({ kind: "register", algorithm: "bcrypt", littleRate: 7.7, ceiling: "bcrypt", ratio: 0.9625 }),
    phase({
      kind: "login-wrong",
      algorithm: "bcrypt",
      littleRate: 7.9,
      ceiling: "bcrypt",
      ratio: 0.99,
      non2xx: 150,
    }),
    phase({ kind: "login", algorithm: "argon2id", littleRate: 19.6, ceiling: "argon2id", ratio: 0.98 }),
    phase({ kind: "register", algorithm: "argon2id", littleRate: 19.2, ceiling: "argon2id", ratio: 0.96 }),
    phase({ kind: "me", scale: "large", requestsPerSecond: 5_700, ceiling: "framework", ratio: 0.57 }),
    phase({
      kind: "login",
      scale: "large",
      algorithm: "bcrypt",
      littleRate: 7.6,
      ceiling: "bcrypt",
      ratio: 0.95,
    }),
  ];
}

const byName = (targets: ReturnType<typeof evaluateTargets>) =>
  Object.fromEntries(targets.map((target) => [target.name, target.pass]));

describe("evaluateTargets", () => {
  const judge = (
    phases: PhaseResult[],
    overrides: Partial<{ coldStartMs: number; coldStartSingleMs: number; memory: MemoryPeaks }> = {},
  ) => evaluateTargets({ phases, coldStartMs: 550, coldStartSingleMs: 280, memory, ...overrides });

  it("passes every target of a run that meets them", () => {
    const targets = judge(healthyRun());
    expect(targets.filter((target) => target.pass !== true)).toEqual([]);
    expect(targets).toHaveLength(15);
  });

  it("misses each target on its own threshold", () => {
    const phases = healthyRun().map((p) => {
      if (p.kind === "login" && p.scale === "small" && p.algorithm === "bcrypt") return { ...p, ratio: 0.94 };
      if (p.kind === "register" && p.algorithm === "argon2id") return { ...p, ratio: 0.949 };
      if (p.kind === "refresh") return { ...p, ratio: 0.49 };
      if (p.kind === "me" && p.scale === "small")
        return { ...p, ratio: 0.59, latencyMs: { ...p.latencyMs, p99: 25 } };
      if (p.kind === "me" && p.scale === "large") return { ...p, requestsPerSecond: 5_000 };
      if (p.kind === "health") return { ...p, status5xx: 1 };
      if (p.kind === "login-wrong") return { ...p, unexpectedStatus: 2 };
      return p;
    });
    const result = byName(
      judge(phases, {
        coldStartMs: 600,
        coldStartSingleMs: 300,
        memory: { ...memory, peakTotalMiB: 200, peakProcessMiB: 90 },
      }),
    );
    expect(result).toEqual({
      "/me ÷ framework ceiling": false,
      "/me p99": false,
      "refresh ÷ its database ceiling": false,
      "login ÷ bcrypt ceiling": false,
      "registration ÷ bcrypt ceiling": true,
      "login ÷ argon2id ceiling": true,
      "registration ÷ argon2id ceiling": false,
      "/me large ÷ small users": false,
      "login large ÷ small users": true,
      "peak RSS, whole server": false,
      "peak RSS, one process": false,
      "cold start, one process": false,
      "cold start, cluster": false,
      "errors + timeouts + 5xx": false,
      "unexpected statuses": false,
    });
  });

  it("says 'not run' (undefined) rather than pass or miss for phases that did not run", () => {
    const only = healthyRun().filter((p) => p.kind === "health");
    const result = byName(
      evaluateTargets({
        phases: only,
        coldStartMs: undefined,
        coldStartSingleMs: undefined,
        memory: undefined,
      }),
    );
    expect(result["login ÷ bcrypt ceiling"]).toBeUndefined();
    expect(result["login ÷ argon2id ceiling"]).toBeUndefined();
    expect(result["refresh ÷ its database ceiling"]).toBeUndefined();
    expect(result["/me large ÷ small users"]).toBeUndefined();
    expect(result["peak RSS, whole server"]).toBeUndefined();
    expect(result["cold start, cluster"]).toBeUndefined();
    expect(result["errors + timeouts + 5xx"]).toBe(true);
  });

  it("counts a scale ratio within 10 % either way as flat", () => {
    const run = (large: number) => [
      phase({ kind: "me", requestsPerSecond: 1000 }),
      phase({ kind: "me", scale: "large", requestsPerSecond: large }),
    ];
    expect(scaleRatio(run(1100), "me")).toBeCloseTo(1.1);
    expect(byName(judge(run(1100)))["/me large ÷ small users"]).toBe(true);
    expect(byName(judge(run(899)))["/me large ÷ small users"]).toBe(false);
    expect(scaleRatio([phase({ kind: "me" })], "me")).toBeUndefined();
  });

  it("compares login at scale with the same algorithm's small run", () => {
    expect(scaleRatio(healthyRun(), "login", "bcrypt")).toBeCloseTo(7.6 / 7.8);
  });
});

describe("per-core rates and drift", () => {
  it("divides refreshes and bcrypt logins per second by the cores", () => {
    expect(perCoreRates(healthyRun(), 2)).toEqual({ refreshes: 300, logins: 3.9 });
    expect(perCoreRates([], 2)).toEqual({ refreshes: undefined, logins: undefined });
  });

  it("compares the last fifth of a phase's seconds with its first fifth", () => {
    expect(driftOf([100, 100, 90, 80, 70, 60, 50, 50, 50, 50])).toBeCloseTo(0.5);
    expect(driftOf([10, 10, 10, 10, 10])).toBe(1);
    expect(driftOf([10, 10])).toBeUndefined();
  });
});

describe("rates", () => {
  it("judges bcrypt-bound phases by connections ÷ mean latency and the rest by completed ÷ duration", () => {
    expect(judgedRate({ ceiling: "bcrypt", requestsPerSecond: 6, littleRate: 7.5 })).toBe(7.5);
    expect(judgedRate({ ceiling: "framework", requestsPerSecond: 900, littleRate: 1000 })).toBe(900);
    expect(
      scaleRatio(
        [
          phase({ kind: "login", ceiling: "bcrypt", littleRate: 8, requestsPerSecond: 1 }),
          phase({ kind: "login", scale: "large", ceiling: "bcrypt", littleRate: 7.6, requestsPerSecond: 9 }),
        ],
        "login",
      ),
    ).toBeCloseTo(0.95);
  });

  it("has no ratio without a positive ceiling", () => {
    expect(ratioTo(5, 10)).toBe(0.5);
    expect(ratioTo(5, undefined)).toBeUndefined();
    expect(ratioTo(5, 0)).toBeUndefined();
    expect(ratioTo(undefined, 10)).toBeUndefined();
  });

  it("names table sizes shortly", () => {
    expect([shortCount(1000), shortCount(1_000_000), shortCount(2_500_000), shortCount(1500)]).toEqual([
      "1k",
      "1M",
      "2500k",
      "1500",
    ]);
  });
});

describe("formatTable", () => {
  it("left-aligns the first column, right-aligns the others, and underlines the header", () => {
    expect(
      formatTable(
        ["phase", "req/s"],
        [
          ["health", "10,000"],
          ["/me", "5"],
        ],
      ),
    ).toBe(["phase    req/s", "------  ------", "health  10,000", "/me          5"].join("\n"));
  });
});

describe("formatReport", () => {
  it("prints each runtime's phases, the shared ceilings, the runtimes side by side and their targets", () => {
    const phases = healthyRun().map((p) => (p.kind === "me" ? { ...p, databaseRatio: 0.5 } : p));
    const runtime = (name: string, version: string, scaleBy: number): RuntimeRun => {
      const scaled = phases.map((p) => ({ ...p, requestsPerSecond: p.requestsPerSecond * scaleBy }));
      return {
        runtime: name,
        version,
        coldStartMs: 550,
        coldStartSingleMs: 280,
        ceilings: { ...ceilings, framework: 10_000 * scaleBy },
        phases: scaled,
        scale: { me: scaleRatio(scaled, "me"), login: scaleRatio(scaled, "login") },
        memory,
        perCore: perCoreRates(scaled, 2),
        targets: evaluateTargets({ phases: scaled, coldStartMs: 550, coldStartSingleMs: 280, memory }),
      };
    };
    const report: BenchReport = {
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:02:30.000Z",
      totalSeconds: 150,
      machine: { cores: 2, node: "v20", platform: "linux" },
      settings: {},
      ceilings,
      runtimes: [runtime("node", "v20.19.0", 1), runtime("bun", "1.2.0", 2)],
      notes: ["a note"],
    };
    const text = formatReport(report);
    expect(text).toContain("60.0 % of framework, 50.0 % of database");
    expect(text).toContain("97.5 % of bcrypt");
    expect(text).toMatch(/bcrypt: verifies, same processes and cost\s+8\.0/);
    expect(text).toMatch(/framework: bare Hono \/health on bun 1\.2\.0\s+20,000/);
    expect(text).toMatch(/^phase\s+node v20\.19\.0 req\/s\s+ratio\s+p99 ms\s+bun 1\.2\.0 req\/s/m);
    expect(text).toMatch(/refreshes\/s per core \(Keycloak 120\)\s+300\s+600/);
    expect(text).toMatch(/cold start, one process \/ cluster\s+280 \/ 550 ms/);
    expect(text).toMatch(/login ÷ bcrypt ceiling\s+≥ 95 %\s+97\.5 % pass\s+97\.5 % pass/);
    expect(text).toContain("note: a note");
    expect(text).not.toContain("MISS");
  });
});
