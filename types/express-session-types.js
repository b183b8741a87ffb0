// Types only (express-session-types.d.ts): nothing runs.
export {};
