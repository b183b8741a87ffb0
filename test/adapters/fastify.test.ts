import { describeAdapterContract } from "./adapter-contract.js";
import { fastifyHarness } from "./apps/fastify.js";

describeAdapterContract(fastifyHarness, "inject");
describeAdapterContract(fastifyHarness, "socket", { outage: false });
