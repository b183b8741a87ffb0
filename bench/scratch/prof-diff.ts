import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

// usage: prof-diff <dirA> <reqsA> <dirB> <reqsB>: self microseconds per request by function, A - B
function load(dir: string) {
  const files = readdirSync(dir)
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  const p = JSON.parse(readFileSync(files[0] as string, "utf8"));
  const us = (p.endTime - p.startTime) / p.samples.length;
  const m = new Map<string, number>();
  for (const n of p.nodes) {
    const name = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/.*node_modules\//, "").replace(/.*\/src\//, "src/")}:${n.callFrame.lineNumber + 1}`;
    if (n.callFrame.functionName === "(idle)") continue;
    m.set(name, (m.get(name) ?? 0) + (n.hitCount ?? 0) * us);
  }
  return m;
}
const [a, ra, b, rb] = process.argv.slice(2);
const A = load(a as string);
const B = load(b as string);
const rows: [string, number, number][] = [];
for (const k of new Set([...A.keys(), ...B.keys()]))
  rows.push([k, (A.get(k) ?? 0) / Number(ra), (B.get(k) ?? 0) / Number(rb)]);
let ta = 0,
  tb = 0;
for (const [, x, y] of rows) {
  ta += x;
  tb += y;
}
console.log(`total us/req A ${ta.toFixed(1)} B ${tb.toFixed(1)}`);
rows.sort((x, y) => y[1] - y[2] - (x[1] - x[2]));
for (const [k, x, y] of rows.slice(0, 40))
  console.log(
    `${(x - y).toFixed(2).padStart(7)}  A ${x.toFixed(2).padStart(6)}  B ${y.toFixed(2).padStart(6)}  ${k}`,
  );
