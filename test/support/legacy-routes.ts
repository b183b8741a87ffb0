import type express from "express";

/**
 * The routes of the migration tests, served the same by the legacy apps (express-session, cookie-session)
 * and by sessionkit's Express adapter: they touch the session only as express-session allows
 * (regenerate with a callback, plain attributes, destroy with a callback).
 *   POST /login?user=U    regenerate, passport.user = U
 *   POST /cart?item=X     appends X to cart
 *   GET  /me[?meta=1]     { user, cart, absoluteDeadline (with meta=1, sessionkit only) }
 *   POST /logout          destroy
 */
export function sessionRoutes(app: express.Express): express.Express {
  app.post("/login", (req, res, next) => {
    req.session.regenerate((error: unknown) => {
      if (error) return next(error);
      const data = req.session as unknown as Record<string, unknown>;
      data.passport = { user: String(req.query.user) };
      res.json({ ok: true });
    });
  });
  app.post("/cart", (req, res) => {
    const data = req.session as unknown as Record<string, unknown>;
    data.cart = [...((data.cart as string[] | undefined) ?? []), String(req.query.item)];
    res.json({ ok: true });
  });
  app.get("/me", (req, res) => {
    const data = req.session as unknown as Record<string, unknown> | undefined;
    const meta =
      req.query.meta === "1"
        ? (req.session as unknown as { meta?: { absoluteDeadline: number } }).meta
        : undefined;
    res.json({
      user: (data?.passport as { user?: string } | undefined)?.user ?? null,
      cart: (data?.cart as string[] | undefined) ?? [],
      ...(meta ? { absoluteDeadline: meta.absoluteDeadline } : {}),
    });
  });
  app.post("/logout", (req, res, next) => {
    req.session.destroy((error: unknown) => (error ? next(error) : res.json({ ok: true })));
  });
  return app;
}
