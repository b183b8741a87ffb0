/**
 * HTTP load with autocannon, run from the bench process (never inside an app process). Each connection
 * cycles through pre-built requests, one per session cookie of the pool, so requests spread over many
 * sessions and autocannon builds no request at run time.
 */
import autocannon from "autocannon";

export interface LoadOptions {
  port: number;
  method: "GET" | "POST";
  path: string;
  cookies: readonly string[];
  connections: number;
  /** Seconds; ignored when `amount` is given. */
  durationSec?: number;
  /** Exact number of requests. */
  amount?: number;
}

export interface LoadResult {
  requests: number;
  durationSec: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const requests = options.cookies.map((cookie) => ({
    method: options.method,
    path: options.path,
    headers: { cookie },
  }));
  // autocannon's own histogram has 1 ms resolution; every response time (ms, float) is kept here instead.
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url: `http://127.0.0.1:${options.port}`,
    connections: options.connections,
    pipelining: 1,
    timeout: 10,
    // autocannon reports (and so ends) on its sampling tick: 100 ms instead of 1 s, or a short run or a
    // fixed amount of requests waits up to a second for nothing.
    sampleInt: 100,
    ...(options.amount === undefined ? { duration: options.durationSec ?? 5 } : { amount: options.amount }),
    requests,
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTimeMs;
  });
  const result = await instance;
  const sorted = latencies.subarray(0, count).sort();
  const percentile = (p: number) =>
    count === 0 ? Number.NaN : (sorted[Math.min(count - 1, Math.floor(p * count))] as number);
  const elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
  const completed = result.requests.total;
  return {
    requests: completed,
    durationSec: elapsedSec,
    rps: completed / elapsedSec,
    p50Ms: percentile(0.5),
    p90Ms: percentile(0.9),
    p99Ms: percentile(0.99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
