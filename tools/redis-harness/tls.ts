import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * A private CA and one certificate signed by it, for one DNS name only (not for 127.0.0.1): what a
 * managed Redis with in-transit encryption looks like to an app. The servers present the certificate,
 * and use it as their client certificate too (replication, the cluster bus, Sentinel to its Redis).
 */
export interface TestCertificates {
  /** The only name the certificate carries: clients must send it as `servername`. */
  servername: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** PEM text of the files, for client options. */
  ca: string;
  cert: string;
  key: string;
}

/** Makes them with openssl in `dir` (about 0.1 s). */
export async function createTestCertificates(
  dir: string,
  servername = "redis.internal",
): Promise<TestCertificates> {
  const openssl = (...args: string[]) => execFileAsync("openssl", args, { cwd: dir });
  const [caFile, certFile, keyFile] = ["ca.crt", "server.crt", "server.key"].map((f) =>
    path.join(dir, f),
  ) as [string, string, string];
  await openssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca"],
    ...["-keyout", "ca.key", "-out", caFile],
  );
  await openssl(
    ...["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${servername}`],
    ...["-keyout", keyFile, "-out", "server.csr"],
  );
  await writeFile(path.join(dir, "san.ext"), `subjectAltName=DNS:${servername}\n`);
  await openssl(
    ...["x509", "-req", "-in", "server.csr", "-CA", caFile, "-CAkey", "ca.key", "-CAcreateserial"],
    ...["-days", "2", "-extfile", "san.ext", "-out", certFile],
  );
  const [ca, cert, key] = await Promise.all([caFile, certFile, keyFile].map((f) => readFile(f, "utf8")));
  return { servername, caFile, certFile, keyFile, ca: ca ?? "", cert: cert ?? "", key: key ?? "" };
}
