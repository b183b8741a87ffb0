import type { Topologies } from "./topologies.js";

declare module "vitest" {
  export interface ProvidedContext {
    redis: Topologies;
  }
}
