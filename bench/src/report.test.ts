import { describe, expect, it } from "vitest";
import type { MemoryPeaks } from "./process-memory.js";
import {
  type BenchReport,
  type Ceilings,
  evaluateTargets,
  formatReport,
  formatTable,
  judgedRate,
  type PhaseResult,
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

const ceilings: Ceilings = { framework: 10_000, bcrypt: 8, database: 9_000, databaseLarge: 8_800 };
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
    phase({
      kind: "login",
      connections: 16,
      littleRate: 7.8,
      requestsPerSecond: 7.2,
      ceiling: "bcrypt",
      ratio: 0.975,
    }),
    phase({ kind: "register", connections: 16, littleRate: 7.4, ceiling: "bcrypt", ratio: 0.925 }),
    phase({
      kind: "login-wrong",
      connections: 16,
      littleRate: 7.9,
      ceiling: "bcrypt",
      ratio: 0.99,
      non2xx: 150,
    }),
    phase({ kind: "me", scale: "large", requestsPerSecond: 5_700, ceiling: "framework", ratio: 0.57 }),
    phase({ kind: "login", scale: "large", littleRate: 7.6, ceiling: "bcrypt", ratio: 0.95 }),
  ];
}

const byName = (targets: ReturnType<typeof evaluateTargets>) =>
  Object.fromEntries(targets.map((target) => [target.name, target.pass]));

describe("evaluateTargets", () => {
  it("passes every target of a run that meets them", () => {
    const targets = evaluateTargets({ phases: healthyRun(), ceilings, coldStartMs: 320, memory });
    expect(targets.filter((target) => target.pass !== true)).toEqual([]);
    expect(targets).toHaveLength(11);
  });

  it("misses each target on its own threshold", () => {
    const phases = healthyRun().map((p) => {
      if (p.kind === "login" && p.scale === "small") return { ...p, ratio: 0.94 };
      if (p.kind === "register") return { ...p, ratio: 0.89 };
      if (p.kind === "me" && p.scale === "small")
        return { ...p, ratio: 0.49, latencyMs: { ...p.latencyMs, p99: 25 } };
      if (p.kind === "me" && p.scale === "large") return { ...p, requestsPerSecond: 5_000 };
      if (p.kind === "health") return { ...p, status5xx: 1 };
      if (p.kind === "login-wrong") return { ...p, unexpectedStatus: 2 };
      return p;
    });
    const result = byName(
      evaluateTargets({
        phases,
        ceilings,
        coldStartMs: 500,
        memory: { ...memory, peakTotalMiB: 200, peakProcessMiB: 100 },
      }),
    );
    expect(result).toEqual({
      "login ÷ bcrypt ceiling": false,
      "registration ÷ bcrypt ceiling": false,
      "/me ÷ framework ceiling": false,
      "/me p99": false,
      "/me large ÷ small users": false,
      "login large ÷ small users": true,
      "peak RSS, all processes": false,
      "peak RSS, one process": false,
      "errors + timeouts + 5xx": false,
      "unexpected statuses": false,
      "cold start to first /health 200": false,
    });
  });

  it("says 'not run' (undefined) rather than pass or miss for phases that did not run", () => {
    const only = healthyRun().filter((p) => p.kind === "health");
    const result = byName(
      evaluateTargets({ phases: only, ceilings, coldStartMs: undefined, memory: undefined }),
    );
    expect(result["login ÷ bcrypt ceiling"]).toBeUndefined();
    expect(result["/me large ÷ small users"]).toBeUndefined();
    expect(result["peak RSS, all processes"]).toBeUndefined();
    expect(result["cold start to first /health 200"]).toBeUndefined();
    expect(result["errors + timeouts + 5xx"]).toBe(true);
  });

  it("counts a scale ratio within 10 % either way as flat", () => {
    const run = (large: number) => [
      phase({ kind: "me", requestsPerSecond: 1000 }),
      phase({ kind: "me", scale: "large", requestsPerSecond: large }),
    ];
    expect(scaleRatio(run(1100), "me")).toBeCloseTo(1.1);
    expect(
      byName(evaluateTargets({ phases: run(1100), ceilings, coldStartMs: 1, memory }))[
        "/me large ÷ small users"
      ],
    ).toBe(true);
    expect(
      byName(evaluateTargets({ phases: run(899), ceilings, coldStartMs: 1, memory }))[
        "/me large ÷ small users"
      ],
    ).toBe(false);
    expect(scaleRatio([phase({ kind: "me" })], "me")).toBeUndefined();
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
  it("prints every phase, ceiling, target and note", () => {
    const phases = healthyRun();
    const report: BenchReport = {
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:02:30.000Z",
      totalSeconds: 150,
      machine: { cores: 2, node: "v20", platform: "linux" },
      settings: {},
      coldStartMs: 321,
      ceilings,
      phases: phases.map((p) => (p.kind === "me" ? { ...p, databaseRatio: 0.5 } : p)),
      scale: { me: scaleRatio(phases, "me"), login: scaleRatio(phases, "login") },
      memory,
      targets: evaluateTargets({ phases, ceilings, coldStartMs: 321, memory }),
      notes: ["a note"],
    };
    const text = formatReport(report);
    expect(text).toContain("60.0 % of framework, 50.0 % of database");
    expect(text).toContain("97.5 % of bcrypt");
    expect(text).toMatch(/bcrypt: verifyPassword, same processes and cost\s+8\.0/);
    expect(text).toContain("cold start: 321 ms");
    expect(text).toContain("peak RSS: 150 MiB total, 70 MiB largest process (3 processes, 100 samples)");
    expect(text).toContain("scale (large ÷ small users): /me 95.0 %, login 97.4 %");
    expect(text).toMatch(/login ÷ bcrypt ceiling\s+97\.5 %\s+≥ 95 %\s+pass/);
    expect(text).toContain("note: a note");
    expect(text).not.toContain("MISS");
  });
});
