/**
 * `node bench/dist/profile-summary.js <file.cpuprofile>… [--top N]`: the top self-time functions and
 * packages of the profiles `pnpm bench --cpu-prof <dir>` wrote.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type CpuProfile, summariseProfile } from "./cpuprofile.js";
import { formatTable } from "./report.js";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { top: { type: "string", default: "25" } },
});
for (const file of positionals) {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const summary = summariseProfile(profile, Number(values.top));
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  process.stdout.write(
    `${file}\n  ${summary.totalMs.toFixed(0)} ms profiled, ${summary.idleMs.toFixed(0)} ms idle, ${summary.busyMs.toFixed(0)} ms busy\n\n`,
  );
  process.stdout.write(
    `${formatTable(
      ["self time by package", "ms", "of busy"],
      summary.packages.map((p) => [p.frame, p.selfMs.toFixed(1), pct(p.share)]),
    )}\n\n`,
  );
  process.stdout.write(
    `${formatTable(
      ["self time by function", "ms", "of busy"],
      summary.functions.map((f) => [f.frame, f.selfMs.toFixed(1), pct(f.share)]),
    )}\n\n`,
  );
}
