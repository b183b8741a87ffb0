import { describeAdapterContract } from "../contracts/adapter.contract.js";
import { honoHarness } from "./apps/hono.js";

describeAdapterContract(honoHarness, "inject");
describeAdapterContract(honoHarness, "socket", { outage: false });
