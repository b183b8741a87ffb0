import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * No Docker engine runs here, so the compose files are checked as documents: valid YAML with the shape
 * compose expects, and the same Redis settings the test harness uses (tools/redis-harness/), so what a user
 * starts is what the tests proved.
 */
interface Service {
  image?: string;
  command?: string[];
  ports?: string[];
  network_mode?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

async function load(file: string): Promise<Record<string, Service>> {
  // Compose applies YAML merge keys ("<<: *node"); the yaml package does so only when asked.
  const document = parse(await readFile(new URL(`../../examples/${file}`, import.meta.url), "utf8"), {
    merge: true,
  }) as {
    services: Record<string, Service>;
  };
  expect(document.services).toBeTypeOf("object");
  return document.services;
}

/** The value after a flag in a redis-server command line. */
const flag = (command: string[] | undefined, name: string) => command?.[command.indexOf(name) + 1];

describe("examples/docker-compose files", () => {
  it("primary + replica mirrors the harness", async () => {
    const services = await load("docker-compose.replica.yml");
    expect(Object.keys(services).sort()).toEqual(["redis-primary", "redis-replica"]);
    for (const service of Object.values(services)) {
      expect(service.image).toMatch(/^redis:7/);
      expect(service.command?.[0]).toBe("redis-server");
      expect(flag(service.command, "--repl-diskless-sync-delay")).toBe("0");
      expect(flag(service.command, "--maxmemory-policy")).toMatch(/^volatile-/);
    }
    const replica = services["redis-replica"];
    expect(
      replica?.command?.slice(
        replica.command.indexOf("--replicaof") + 1,
        replica.command.indexOf("--replicaof") + 3,
      ),
    ).toEqual(["redis-primary", "6379"]);
    expect(replica?.depends_on?.["redis-primary"]?.condition).toBe("service_healthy");
  });

  it("cluster 3+3 mirrors the harness, and the init job creates it from every node", async () => {
    const services = await load("docker-compose.cluster.yml");
    const nodes = Object.entries(services).filter(([name]) => name.startsWith("redis-"));
    expect(nodes).toHaveLength(6);
    const ports = nodes.map(([, node]) => flag(node.command, "--port"));
    expect(new Set(ports).size).toBe(6);
    for (const [, node] of nodes) {
      expect(node.image).toMatch(/^redis:7/);
      expect(node.network_mode).toBe("host");
      expect(flag(node.command, "--cluster-enabled")).toBe("yes");
      expect(flag(node.command, "--cluster-node-timeout")).toBe("5000");
      expect(flag(node.command, "--repl-diskless-sync-delay")).toBe("0");
      expect(flag(node.command, "--notify-keyspace-events")).toBe("Ex");
      expect(node.healthcheck?.test).toBeDefined();
    }
    const init = services["cluster-init"];
    expect(init?.command?.slice(0, 3)).toEqual(["redis-cli", "--cluster", "create"]);
    expect(init?.command).toEqual(expect.arrayContaining(ports.map((port) => `127.0.0.1:${port}`)));
    expect(flag(init?.command, "--cluster-replicas")).toBe("1");
    expect(Object.keys(init?.depends_on ?? {}).sort()).toEqual(nodes.map(([name]) => name).sort());
  });
});
