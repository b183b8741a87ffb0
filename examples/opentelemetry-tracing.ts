// sessionkit's tracing channels as OpenTelemetry spans: `sessionkit.load` and `sessionkit.commit`, children
// of the request's span. No sessionkit dependency on OpenTelemetry: the channels are node:diagnostics_channel.
import { tracingChannel } from "node:diagnostics_channel";
import { context, type Span, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";

interface SessionTraceContext {
  handle?: string;
  outcome?: string;
  kind?: string;
  commands: string[];
  error?: unknown;
}

/** Subscribes; returns the function that unsubscribes. */
export function traceSessions(tracer: Tracer = trace.getTracer("sessionkit")): () => void {
  const unsubscribe: (() => void)[] = [];
  for (const name of ["load", "commit"] as const) {
    const spans = new WeakMap<object, Span>();
    const channel = tracingChannel<unknown, SessionTraceContext>(`sessionkit:${name}`);
    const handlers = {
      start: (message: SessionTraceContext) => {
        spans.set(message, tracer.startSpan(`sessionkit.${name}`, {}, context.active()));
      },
      end: () => {},
      asyncStart: () => {},
      error: (message: SessionTraceContext) => {
        const span = spans.get(message);
        span?.recordException(message.error as Error);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: String(message.error) });
      },
      asyncEnd: (message: SessionTraceContext) => {
        const span = spans.get(message);
        if (span === undefined) return;
        if (message.handle !== undefined) span.setAttribute("sessionkit.handle", message.handle);
        if (message.outcome !== undefined) span.setAttribute("sessionkit.outcome", message.outcome);
        if (message.kind !== undefined) span.setAttribute("sessionkit.kind", message.kind);
        span.setAttribute("sessionkit.commands", message.commands);
        span.end();
      },
    };
    channel.subscribe(handlers);
    unsubscribe.push(() => channel.unsubscribe(handlers));
  }
  return () => {
    for (const stop of unsubscribe) stop();
  };
}
