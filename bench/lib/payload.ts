/**
 * The session data every variant stores: a user, a counter and a cart of 10 items whose JSON is about
 * 1 KB. The write route replaces the cart with one that depends on the counter, so every write really
 * changes ~1 KB (a delta writer cannot skip it as unchanged).
 */
export interface CartItem {
  sku: string;
  name: string;
  qty: number;
  priceCents: number;
  gift: boolean;
}

export interface Cart {
  items: CartItem[];
  currency: string;
  updatedAt: number;
}

export const CART_ITEMS = 10;
export const BENCH_USER = "user-4711";
/** Fixed epoch so every cart of one counter value has the same size. */
const BASE_TIME = 1_767_225_600_000;

export function makeCart(counter: number): Cart {
  const items: CartItem[] = [];
  for (let i = 0; i < CART_ITEMS; i++) {
    items.push({
      sku: `SKU-${100_000 + i}`,
      name: `Product title number ${i}`,
      qty: 1 + ((counter + i) % 3),
      priceCents: 1999 + i * 100,
      gift: false,
    });
  }
  return { items, currency: "EUR", updatedAt: BASE_TIME + (counter % 1000) };
}

/** The ceiling's 1 KB value: the same bytes a session read moves, without any session layer. */
export const CEILING_VALUE = JSON.stringify({ user: BENCH_USER, counter: 0, cart: makeCart(0) });
export const CEILING_KEY = "bench:ceiling:value";

/** Session cookie secret shared by every variant (32+ characters). */
export const BENCH_SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
