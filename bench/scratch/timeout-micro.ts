const { withTimeout: wt } = (await import(
  "../../node_modules/.cache/sessionkit-bench/redis/with-timeout.js" as string
)) as { withTimeout: (op: string, ms: number, call: () => Promise<unknown>) => Promise<unknown> };
async function measure(name: string, op: () => Promise<unknown>, n = 300_000) {
  for (let i = 0; i < 30_000; i++) await op();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op();
  console.log(name.padEnd(40), (Number(process.hrtime.bigint() - t) / n).toFixed(0), "ns/op");
}
const call = () => Promise.resolve(1);
await measure("direct call", call);
await measure("withTimeout(call)", () => wt("HGETALL", 1000, call));
await measure("direct", call);
await measure("withTimeout", () => wt("HGETALL", 1000, call));
