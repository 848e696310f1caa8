// Reads V8 CPU profiles (from `npm run bench -- --profile DIR`) and prints where the time went:
// self time per function and per file group, heaviest first.
//   npx ts-node --transpile-only bench/profile-summary.ts DIR/hello-steady-run1.cpuprofile [--top 30]
import exit from "exit-x";
import * as fs from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the stack a file belongs to: ours, undici, node's http, or the rest. */
function groupOf(url: string, functionName: string): string {
  if (url.includes("/discovery/")) return "hello: discovery client";
  if (url.includes("/hello/dist/") || url.includes("/hello/src/")) return "hello: server";
  if (url.includes("bare-proxy")) return "bare proxy";
  if (url.includes("undici")) return "undici";
  if (url.startsWith("node:") || url === "") {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(idle)" || functionName === "(program)") return functionName;
    return url === "" ? "native / V8" : url.replace(/^node:/, "node ").replace(/\/.*$/, "");
  }
  return "other";
}

function summarize(file: string, top: number): void {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const perFunction = new Map<string, number>();
  const perGroup = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(apps|node_modules)\//, "$1/")}:${lineNumber + 1}`;
    perFunction.set(name, (perFunction.get(name) ?? 0) + us);
    const group = groupOf(url, functionName);
    perGroup.set(group, (perGroup.get(group) ?? 0) + us);
    total += us;
    if (functionName !== "(idle)") busy += us;
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(
    `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle (shares below are of that)\n\n`,
  );
  for (const [group, us] of [...perGroup].sort((a, b) => b[1] - a[1]))
    if (group !== "(idle)") process.stdout.write(`${pct(us)}  ${group}\n`);
  process.stdout.write("\n");
  for (const [name, us] of [...perFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    if (!name.startsWith("(idle)")) process.stdout.write(`${pct(us)}  ${name}\n`);
  process.stdout.write("\n");
}

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
if (args.length === 0) {
  process.stderr.write("usage: bench/profile-summary.ts PROFILE.cpuprofile… [--top 30]\n");
  exit(2);
} else {
  for (const file of args) summarize(file, top);
  exit(0);
}
