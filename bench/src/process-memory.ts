import { readdirSync, readFileSync } from "node:fs";

const MiB = 1024 * 1024;

/** `VmRSS:   12345 kB` from a /proc/<pid>/status text, in bytes; undefined when absent (a zombie). */
export function parseVmRssBytes(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

/** The pids in a /proc/<pid>/task/<tid>/children text ("123 456 "). */
export function parseChildPids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((part) => part !== "")
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The process and every descendant, through /proc/<pid>/task/<tid>/children (cheap: no /proc scan). */
export function processTree(root: number): number[] {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.includes(pid)) continue;
    seen.push(pid);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) queue.push(...parseChildPids(readOrEmpty(`/proc/${pid}/task/${tid}/children`)));
  }
  return seen;
}

export interface MemorySample {
  totalBytes: number;
  perProcess: Map<number, number>;
}

export function sampleTree(root: number): MemorySample {
  const perProcess = new Map<number, number>();
  let totalBytes = 0;
  for (const pid of processTree(root)) {
    const rss = parseVmRssBytes(readOrEmpty(`/proc/${pid}/status`));
    if (rss === undefined) continue;
    perProcess.set(pid, rss);
    totalBytes += rss;
  }
  return { totalBytes, perProcess };
}

export interface MemoryPeaks {
  peakTotalMiB: number;
  peakProcessMiB: number;
  /** Peak RSS of each process seen, by pid. */
  perProcessMiB: Record<string, number>;
  processCount: number;
  samples: number;
}

/** Folds samples into the peaks the report prints. */
export class PeakTracker {
  private peakTotal = 0;
  private readonly peaks = new Map<number, number>();
  private count = 0;
  private maxProcesses = 0;

  add(sample: MemorySample): void {
    this.count += 1;
    this.peakTotal = Math.max(this.peakTotal, sample.totalBytes);
    this.maxProcesses = Math.max(this.maxProcesses, sample.perProcess.size);
    for (const [pid, rss] of sample.perProcess) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, rss));
  }

  result(): MemoryPeaks {
    const perProcessMiB: Record<string, number> = {};
    for (const [pid, rss] of this.peaks) perProcessMiB[String(pid)] = round1(rss / MiB);
    return {
      peakTotalMiB: round1(this.peakTotal / MiB),
      peakProcessMiB: round1(Math.max(0, ...this.peaks.values()) / MiB),
      perProcessMiB,
      processCount: this.maxProcesses,
      samples: this.count,
    };
  }
}

/** Samples the tree under `root` every `intervalMs` until stopped. */
export function startMemorySampler(root: number, intervalMs = 200) {
  const tracker = new PeakTracker();
  let phase = new PeakTracker();
  const tick = () => {
    const sample = sampleTree(root);
    tracker.add(sample);
    phase.add(sample);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    tracker,
    /** Peaks since the previous call (or the start): one phase's share of the run. */
    takePhasePeaks(): MemoryPeaks {
      const result = phase.result();
      phase = new PeakTracker();
      return result;
    },
    stop(): MemoryPeaks {
      clearInterval(timer);
      return tracker.result();
    },
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
