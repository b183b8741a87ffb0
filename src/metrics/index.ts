/** sessionkit/metrics: Prometheus metrics of a SessionManager on prom-client (an optional peer dependency). */
export { type MetricsOptions, type MetricsRegistration, registerMetrics } from "./register-metrics.js";
