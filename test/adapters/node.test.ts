import { describeAdapterContract } from "../contracts/adapter.contract.js";
import { nodeHarness } from "./apps/node.js";

for (const transport of ["socket"] as const) describeAdapterContract(nodeHarness, transport);
