/**
 * JSON numbers a double cannot hold, kept exactly: a new service that rounds `0.123456789012345678` to
 * `0.12345678901234568`, or `12345678901234567.5` to `12345678901234568`, answers differently, and a
 * comparison of doubles would call both pairs equal.
 *
 * Every number in a parsed body has one exact decimal value: a double's is its shortest text (what the
 * body said, when the body said at most 15 significant digits), a bigint's its digits, an ExactDecimal's
 * its coefficient and exponent. Two numbers are equal when those values are.
 */

/** coefficient × 10^exponent, the coefficient without trailing zeros (so equal values have equal fields). */
export class ExactDecimal {
  readonly coefficient: bigint;
  readonly exponent: number;

  constructor(coefficient: bigint, exponent: number) {
    let c = coefficient;
    let e = exponent;
    if (c === 0n) e = 0;
    else while (c % 10n === 0n) (c /= 10n), e++;
    this.coefficient = c;
    this.exponent = e;
  }

  /** JSON text in the style of JavaScript's own numbers: `0.123456789012345678`, `1.5e-400`, `1e+401`. */
  toString(): string {
    const negative = this.coefficient < 0n;
    const digits = (negative ? -this.coefficient : this.coefficient).toString();
    const point = digits.length + this.exponent; // digits before the decimal point
    let text: string;
    if (point > 0 && point <= 21) {
      text = this.exponent >= 0 ? digits + '0'.repeat(this.exponent) : digits.slice(0, point) + '.' + digits.slice(point);
    } else if (point <= 0 && point > -6) {
      text = '0.' + '0'.repeat(-point) + digits;
    } else {
      const power = point - 1;
      text = digits[0]! + (digits.length > 1 ? '.' + digits.slice(1) : '') + 'e' + (power >= 0 ? '+' : '-') + Math.abs(power);
    }
    return negative ? '-' + text : text;
  }

  /** The nearest double (Infinity or 0 beyond a double's range). */
  toNumber(): number {
    return Number(this.toString());
  }
}

const NUMBER_TOKEN = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** Exponents past this are left to JSON.parse (Infinity or 0): no body means them. */
const EXPONENT_LIMIT = 1_000_000_000;

/** The exact value of a JSON number token (also of JavaScript's own number texts, `1e+21`); undefined when it is not one. */
export function decimalOfToken(token: string): ExactDecimal | undefined {
  const m = NUMBER_TOKEN.exec(token);
  if (!m) return undefined;
  const fraction = m[3] ?? '';
  const exponent = Number(m[4] ?? 0) - fraction.length;
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > EXPONENT_LIMIT) return undefined;
  const coefficient = BigInt(m[2]! + fraction);
  return new ExactDecimal(m[1] === '-' ? -coefficient : coefficient, exponent);
}

export type JsonNumber = number | bigint | ExactDecimal;

export function isJsonNumber(value: unknown): value is JsonNumber {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof ExactDecimal;
}

/** The exact value of a number from a parsed body (see the module comment). */
export function decimalOf(value: JsonNumber): ExactDecimal {
  if (value instanceof ExactDecimal) return value;
  if (typeof value === 'bigint') return new ExactDecimal(value, 0);
  return decimalOfToken(String(value)) ?? new ExactDecimal(0n, 0);
}

export function sameNumber(a: JsonNumber, b: JsonNumber): boolean {
  const x = decimalOf(a);
  const y = decimalOf(b);
  return x.coefficient === y.coefficient && x.exponent === y.exponent;
}

/**
 * Text of a number for canonical JSON and pairing keys: equal values get equal texts, whatever their
 * type (the double `1e21` and the bigint 10^21 are one number).
 */
export function numberText(value: JsonNumber): string {
  if (typeof value === 'number') return Number.isSafeInteger(value) || !Number.isInteger(value) ? String(value) : BigInt(value).toString();
  return value.toString();
}

/** Beyond this many decimal places between two numbers' digits, their distance is taken from doubles. */
const ALIGNMENT_LIMIT = 1000;

/**
 * |a − b| as the nearest double: computed exactly (two bigints directly), except for an ExactDecimal whose
 * digits and the other number's span more than ALIGNMENT_LIMIT places together (aligning them would cost a
 * bigint of that size), where the doubles' distance is as good as any tolerance can use.
 */
export function distance(a: JsonNumber, b: JsonNumber): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return Number(a > b ? a - b : b - a);
  const x = decimalOf(a);
  const y = decimalOf(b);
  const exponent = Math.min(x.exponent, y.exponent);
  const span = Math.max(x.exponent + digitCount(x), y.exponent + digitCount(y)) - exponent;
  if (span > ALIGNMENT_LIMIT) return Math.abs(x.toNumber() - y.toNumber());
  const difference = x.coefficient * 10n ** BigInt(x.exponent - exponent) - y.coefficient * 10n ** BigInt(y.exponent - exponent);
  return new ExactDecimal(difference < 0n ? -difference : difference, exponent).toNumber();
}

function digitCount(value: ExactDecimal): number {
  return (value.coefficient < 0n ? -value.coefficient : value.coefficient).toString().length;
}

export function toNumber(value: JsonNumber): number {
  return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : value.toNumber();
}
