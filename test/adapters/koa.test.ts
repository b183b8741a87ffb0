import { describeAdapterContract } from "../contracts/adapter.contract.js";
import { koaHarness } from "./apps/koa.js";

for (const transport of ["socket"] as const) describeAdapterContract(koaHarness, transport);
