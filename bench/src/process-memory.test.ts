import { describe, expect, it } from "vitest";
import { PeakTracker, parseChildPids, parseVmRssBytes, processTree, sampleTree } from "./process-memory.js";

describe("parseVmRssBytes", () => {
  it("reads VmRSS in kB from a /proc status text", () => {
    const status = "Name:\tnode\nVmPeak:\t 1000 kB\nVmRSS:\t   51234 kB\nRssAnon:\t 40000 kB\n";
    expect(parseVmRssBytes(status)).toBe(51_234 * 1024);
  });

  it("is undefined for a process without memory (a zombie) or an empty text", () => {
    expect(parseVmRssBytes("Name:\tnode\nState:\tZ (zombie)\n")).toBeUndefined();
    expect(parseVmRssBytes("")).toBeUndefined();
  });
});

describe("parseChildPids", () => {
  it("reads the space-separated pids of a children file", () => {
    expect(parseChildPids("123 456 \n")).toEqual([123, 456]);
    expect(parseChildPids("")).toEqual([]);
  });
});

describe("PeakTracker", () => {
  it("keeps the peak total and each process's own peak, which may come from different samples", () => {
    const tracker = new PeakTracker();
    const MiB = 1024 * 1024;
    tracker.add({
      totalBytes: 100 * MiB,
      perProcess: new Map([
        [1, 60 * MiB],
        [2, 40 * MiB],
      ]),
    });
    tracker.add({
      totalBytes: 90 * MiB,
      perProcess: new Map([
        [1, 20 * MiB],
        [2, 70 * MiB],
      ]),
    });
    expect(tracker.result()).toEqual({
      peakTotalMiB: 100,
      peakProcessMiB: 70,
      perProcessMiB: { "1": 60, "2": 70 },
      processCount: 2,
      samples: 2,
    });
  });
});

describe("sampling /proc", () => {
  it("finds this process and reads its RSS", () => {
    expect(processTree(process.pid)[0]).toBe(process.pid);
    const sample = sampleTree(process.pid);
    expect(sample.perProcess.get(process.pid)).toBeGreaterThan(1024 * 1024);
    expect(sample.totalBytes).toBeGreaterThanOrEqual(sample.perProcess.get(process.pid) ?? 0);
  });
});
