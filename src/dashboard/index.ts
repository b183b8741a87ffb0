/** sessionkit/dashboard: the admin page, one handler for node:http and thin mounts for each framework. */
export { createDashboard, type Dashboard, type DashboardOptions } from "./create-dashboard.js";
export { expressDashboard, fastifyDashboard, honoDashboard, koaDashboard, nodeDashboard } from "./mounts.js";
