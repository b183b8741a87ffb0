import type { Topologies } from "../../tools/redis-harness/topologies.js";

declare module "vitest" {
  export interface ProvidedContext {
    redis: Topologies;
  }
}
