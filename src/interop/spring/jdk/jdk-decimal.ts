/**
 * java.math.BigDecimal's text, both ways: toString's layout (plain, or scientific when the exponent is
 * negative or the number is small), and the grammar of `new BigDecimal(String)`, so that the text a
 * ForeignDecimal holds reads back to the same unscaled value and scale.
 */

/** BigDecimal.toString() of unscaledValue × 10^-scale. */
export function bigDecimalText(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? "-" : "";
  const coefficient = (unscaled < 0n ? -unscaled : unscaled).toString();
  if (scale === 0) return sign + coefficient;
  const adjusted = -scale + (coefficient.length - 1);
  if (scale > 0 && adjusted >= -6) {
    const pad = scale - coefficient.length;
    if (pad >= 0) return `${sign}0.${"0".repeat(pad)}${coefficient}`;
    const point = coefficient.length - scale;
    return `${sign}${coefficient.slice(0, point)}.${coefficient.slice(point)}`;
  }
  const mantissa = coefficient.length > 1 ? `${coefficient[0]}.${coefficient.slice(1)}` : coefficient;
  return adjusted === 0 ? sign + mantissa : `${sign}${mantissa}E${adjusted > 0 ? "+" : ""}${adjusted}`;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,10}))?$/;

/** The unscaled value and scale `new BigDecimal(text)` makes, or undefined when it would refuse the text. */
export function parseBigDecimal(text: string): { unscaled: bigint; scale: number } | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  if (whole.length + fraction.length === 0) return undefined;
  const scale = fraction.length - Number(exponent);
  if (!Number.isSafeInteger(scale) || scale < -(2 ** 31) || scale >= 2 ** 31) return undefined;
  return { unscaled: BigInt(`${sign === "-" ? "-" : ""}${whole}${fraction}`), scale };
}
