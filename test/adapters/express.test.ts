import { describeAdapterContract } from "../contracts/adapter.contract.js";
import { expressHarness } from "./apps/express.js";

for (const transport of ["socket"] as const) describeAdapterContract(expressHarness, transport);
