import { describeAdapterContract } from "../contracts/adapter.contract.js";
import { fastifyHarness } from "./apps/fastify.js";

describeAdapterContract(fastifyHarness, "inject");
describeAdapterContract(fastifyHarness, "socket", { outage: false });
