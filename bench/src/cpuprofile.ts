/** Reads a V8 `.cpuprofile` (from `node --cpu-prof`) into self-time totals per function and per package. */

export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
    hitCount?: number;
  }>;
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface FrameTotal {
  frame: string;
  selfMs: number;
  /** Share of the profile's busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  functions: FrameTotal[];
  packages: FrameTotal[];
}

const IDLE = new Set(["(idle)", "(program)", "(garbage collector)"]);

/** `node_modules/.pnpm/hono@4/node_modules/hono/dist/x.js` → `hono`; workspace code → `apps/api` etc. */
export function packageOf(url: string): string {
  if (url === "") return "(native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return "node:internal";
  const workspace = /\/(apps|packages|bench)\/([^/]+)\//.exec(url);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  return url;
}

function frameName(frame: CpuProfile["nodes"][number]["callFrame"]): string {
  const name = frame.functionName || "(anonymous)";
  if (frame.url === "") return name;
  const short = frame.url.replace(/^file:\/\//, "").replace(/^.*node_modules\//, "");
  return `${name} ${short}:${frame.lineNumber + 1}`;
}

function top(totals: Map<string, number>, busyMs: number, limit: number): FrameTotal[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, selfMs]) => ({ frame, selfMs: round(selfMs), share: busyMs > 0 ? selfMs / busyMs : 0 }));
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Self time of each function (time a sample landed in it, not in what it called), summed over the
 * profile. `(idle)` is the event loop waiting; `(garbage collector)` and `(program)` are counted apart
 * from the functions but inside the busy time.
 */
export function summariseProfile(profile: CpuProfile, limit = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // timeDeltas[i] is the time before sample i; the sample's own duration is the next delta.
    for (let i = 0; i < samples.length; i += 1) {
      const id = samples[i] as number;
      const duration = (deltas[i + 1] ?? 0) / 1000;
      selfByNode.set(id, (selfByNode.get(id) ?? 0) + duration);
    }
  } else {
    const interval = (profile.endTime - profile.startTime) / 1000 / Math.max(1, samples.length);
    for (const node of profile.nodes) selfByNode.set(node.id, (node.hitCount ?? 0) * interval);
  }
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of selfByNode) {
    const node = byId.get(id);
    if (!node) continue;
    totalMs += ms;
    if (node.callFrame.functionName === "(idle)") {
      idleMs += ms;
      continue;
    }
    const name = IDLE.has(node.callFrame.functionName)
      ? node.callFrame.functionName
      : frameName(node.callFrame);
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const pkg = IDLE.has(node.callFrame.functionName)
      ? node.callFrame.functionName
      : packageOf(node.callFrame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  return {
    totalMs: round(totalMs),
    idleMs: round(idleMs),
    busyMs: round(busyMs),
    functions: top(functions, busyMs, limit),
    packages: top(packages, busyMs, limit),
  };
}
