/**
 * A small declarative schema for link payloads. Every shareable value is described once — short key, type, range,
 * default — and encoding, decoding and validation all walk that one description, so adding a knob is one line.
 *
 * Decoding never trusts its input: it reads only the keys the schema names (own properties only), checks every value
 * against its range, builds fresh objects holding only schema keys, and turns every problem into a warning or a
 * rejection, never an exception.
 */

export interface EnumSpec<T extends string = string> {
  kind: 'enum';
  values: readonly T[];
  /** Values beyond the list that are also valid (config.ts: imported dataset ids), and how a message names them. */
  open?: { pattern: RegExp; description: string };
}

/** Structurally the same as config.ts's NumberField, so RUN_CONFIG_FIELDS entries are usable as they are. */
export interface NumberSpec {
  kind: 'int' | 'number';
  min: number;
  max: number;
  minExclusive?: boolean;
}

export interface BooleanSpec {
  kind: 'boolean';
}

export interface TextSpec {
  kind: 'text';
  /** In code points, after sanitising. */
  maxLength: number;
  /**
   * Identifiers (they become record keys elsewhere) must match exactly and are never altered; free text without a
   * pattern is sanitised instead: control and bidirectional-override characters removed, cut to maxLength.
   */
  pattern?: RegExp;
  /** Words an identifier may not be even when it matches the pattern. */
  reserved?: readonly string[];
}

export interface NullableSpec<T> {
  kind: 'nullable';
  of: Spec<T>;
}

export interface ListSpec<T> {
  kind: 'list';
  of: Spec<T>;
  maxItems: number;
  /** Fewer valid items than this makes the whole list invalid (its fallback is used). */
  minItems?: number;
  /** Items with a key seen before are dropped. */
  uniqueBy?: (item: T) => string | number | boolean;
}

/** A record over a fixed set of keys (model names, criterion ids): keys are written as they are. */
export interface RecordSpec<K extends string, T> {
  kind: 'record';
  keys: readonly K[];
  of: Spec<T>;
}

export interface Field<T> {
  /** Short key in the encoded payload; unique within its object, and never changed once released. */
  key: string;
  spec: Spec<T>;
  /** Used when the field is missing or invalid and no fallback comes from an enclosing default. */
  default?: T;
  /**
   * What a link written before this field existed meant, when that differs from today's default: a missing key
   * decodes to this (never to the fallback), so old links keep reproducing what they did.
   */
  absent?: T;
}

export type FieldTable<T> = { readonly [K in keyof T]-?: Field<T[K]> };

export interface ObjectSpec<T> {
  kind: 'object';
  fields: FieldTable<T>;
}

/** The spec a value of type T needs: the type checker ties every table entry to the field it describes. */
export type Spec<T> =
  [T] extends [boolean] ? BooleanSpec
    : [T] extends [number] ? NumberSpec
      : [T] extends [string] ? (string extends T ? TextSpec | EnumSpec : EnumSpec<T & string>)
        : null extends T ? NullableSpec<Exclude<T, null>>
          : [T] extends [readonly (infer E)[]] ? ListSpec<E>
            : ObjectSpec<T> | RecordSpec<keyof T & string, T[keyof T]>;

/** The same specs without their type parameters, for the walkers below. */
type AnySpec =
  | EnumSpec | NumberSpec | BooleanSpec | TextSpec
  | { kind: 'nullable'; of: AnySpec }
  | { kind: 'list'; of: AnySpec; maxItems: number; minItems?: number; uniqueBy?: (item: never) => unknown }
  | { kind: 'record'; keys: readonly string[]; of: AnySpec }
  | { kind: 'object'; fields: Readonly<Record<string, { key: string; spec: AnySpec; default?: unknown; absent?: unknown }>> };

const erase = <T>(spec: Spec<T>): AnySpec => spec as unknown as AnySpec;

const hasOwn = (target: object, key: string): boolean => Object.prototype.hasOwnProperty.call(target, key);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// ---------- encoding ----------

/** Writes a value with its short keys. It does not validate: decoding is where values are checked. */
export function encodeWithSpec<T>(spec: Spec<T>, value: T): unknown {
  return encodeAny(erase(spec), value);
}

function encodeAny(spec: AnySpec, value: unknown): unknown {
  switch (spec.kind) {
    case 'nullable':
      return value === null ? null : encodeAny(spec.of, value);
    case 'list':
      return (value as unknown[]).map((item) => encodeAny(spec.of, item));
    case 'record': {
      const source = value as Record<string, unknown>;
      return Object.fromEntries(spec.keys.map((key) => [key, encodeAny(spec.of, source[key])]));
    }
    case 'object': {
      const source = value as Record<string, unknown>;
      // A value that means what a missing key means is left out: links from before the field stay as they were.
      const entries = Object.entries(spec.fields)
        .filter(([name, field]) => field.absent === undefined || JSON.stringify(source[name]) !== JSON.stringify(field.absent))
        .map(([name, field]) => [field.key, encodeAny(field.spec, source[name])]);
      return Object.fromEntries(entries);
    }
    default:
      return value;
  }
}

// ---------- decoding ----------

/** Warnings gathered while decoding; capped so that a hostile payload cannot flood the UI. */
export class DecodeReport {
  static readonly MAX_WARNINGS = 20;
  private readonly all: string[] = [];

  warn(message: string): void {
    this.all.push(message);
  }

  get warnings(): string[] {
    if (this.all.length <= DecodeReport.MAX_WARNINGS) return [...this.all];
    const more = this.all.length - (DecodeReport.MAX_WARNINGS - 1);
    return [...this.all.slice(0, DecodeReport.MAX_WARNINGS - 1), `… and ${more} more problems.`];
  }
}

type Decoded = { ok: true; value: unknown } | { ok: false; problem: string };
const invalid = (problem: string): Decoded => ({ ok: false, problem });
const valid = (value: unknown): Decoded => ({ ok: true, value });

/**
 * Decodes untrusted JSON against a spec. A missing or invalid value takes its fallback — the same place in `fallback`
 * (usually the default state), else the field's own default, else null for a nullable value — with a warning when it
 * was invalid. Without a fallback the enclosing list item is dropped; at the top the whole value is rejected.
 */
export function decodeWithSpec<T>(
  spec: Spec<T>, raw: unknown, fallback: T | undefined, path: string, report: DecodeReport,
): { ok: true; value: T } | { ok: false; problem: string } {
  return decodeAny(erase(spec), raw, fallback, path, report) as { ok: true; value: T } | { ok: false; problem: string };
}

function decodeAny(spec: AnySpec, raw: unknown, fallback: unknown, path: string, report: DecodeReport): Decoded {
  switch (spec.kind) {
    case 'enum': {
      if (typeof raw === 'string' && (spec.values.includes(raw) || spec.open?.pattern.test(raw))) return valid(raw);
      const choices = spec.open ? `${spec.values.join(', ')}, or ${spec.open.description}` : spec.values.join(', ');
      return invalid(`${path} must be one of ${choices}; got ${describe(raw)}`);
    }
    case 'int':
    case 'number':
      return decodeNumber(spec, raw, path);
    case 'boolean':
      return typeof raw === 'boolean' ? valid(raw) : invalid(`${path} must be true or false; got ${describe(raw)}`);
    case 'text':
      return decodeText(spec, raw, path, report);
    case 'nullable':
      return raw === null ? valid(null) : decodeAny(spec.of, raw, fallback, path, report);
    case 'list':
      return decodeList(spec, raw, path, report);
    case 'record': {
      if (!isRecord(raw)) return invalid(`${path} must be an object; got ${describe(raw)}`);
      const entries = spec.keys.map((key) => ({ name: key, key, spec: spec.of, default: undefined }));
      return decodeFields(entries, raw, fallback, path, report);
    }
    case 'object': {
      if (!isRecord(raw)) return invalid(`${path} must be an object; got ${describe(raw)}`);
      const entries = Object.entries(spec.fields).map(([name, field]) => ({ name, ...field }));
      return decodeFields(entries, raw, fallback, path, report);
    }
  }
}

function decodeNumber(spec: NumberSpec, raw: unknown, path: string): Decoded {
  const range = `${spec.minExclusive ? '(' : '['}${spec.min}, ${spec.max}]`;
  const wanted = spec.kind === 'int' ? `a whole number in ${range}` : `a number in ${range}`;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || (spec.kind === 'int' && !Number.isInteger(raw))) {
    return invalid(`${path} must be ${wanted}; got ${describe(raw)}`);
  }
  const belowMin = spec.minExclusive ? raw <= spec.min : raw < spec.min;
  return belowMin || raw > spec.max ? invalid(`${path} must be ${wanted}; got ${raw}`) : valid(raw);
}

/** C0/C1 controls, and bidirectional overrides/isolates that can make text display differently from what it is. */
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** Free text as it may be shown: no control or direction characters, at most maxLength code points. */
export function sanitiseText(text: string, maxLength: number): string {
  // Cut first (cheaply, in UTF-16 units) so a megabyte of input costs no more than a short string.
  const cleaned = text.slice(0, maxLength * 2 + 16).replace(UNSAFE_TEXT, '');
  const codePoints = Array.from(cleaned);
  return codePoints.length > maxLength ? codePoints.slice(0, maxLength).join('') : cleaned;
}

/** Keys with a meaning to objects or functions (__proto__, constructor, toString, …): never accepted as identifiers. */
const isPrototypeName = (key: string): boolean => key in Object.prototype || key === 'prototype';

function decodeText(spec: TextSpec, raw: unknown, path: string, report: DecodeReport): Decoded {
  if (typeof raw !== 'string') return invalid(`${path} must be text; got ${describe(raw)}`);
  if (spec.pattern) {
    if (raw.length > spec.maxLength || !spec.pattern.test(raw)) {
      return invalid(`${path} is not a valid identifier: ${describe(raw)}`);
    }
    if (spec.reserved?.includes(raw) || isPrototypeName(raw)) return invalid(`${path} may not be ${describe(raw)}`);
    return valid(raw);
  }
  const text = sanitiseText(raw, spec.maxLength);
  if (text !== raw) report.warn(`${path} was shortened or had control characters removed.`);
  return valid(text);
}

function decodeList(spec: Extract<AnySpec, { kind: 'list' }>, raw: unknown, path: string, report: DecodeReport): Decoded {
  if (!Array.isArray(raw)) return invalid(`${path} must be a list; got ${describe(raw)}`);
  if (raw.length > spec.maxItems) report.warn(`${path} has ${raw.length} items; only the first ${spec.maxItems} are kept.`);
  const items: unknown[] = [];
  const seen = new Set<unknown>();
  raw.slice(0, spec.maxItems).forEach((item, index) => {
    const decoded = decodeAny(spec.of, item, undefined, `${path}[${index}]`, report);
    if (!decoded.ok) {
      report.warn(`${decoded.problem}: item dropped.`);
      return;
    }
    const identity = spec.uniqueBy ? spec.uniqueBy(decoded.value as never) : undefined;
    if (spec.uniqueBy && seen.has(identity)) {
      report.warn(`${path}[${index}] repeats ${describe(identity)}: item dropped.`);
      return;
    }
    seen.add(identity);
    items.push(decoded.value);
  });
  const minItems = spec.minItems ?? 0;
  if (items.length < minItems) return invalid(`${path} needs at least ${minItems} valid item${minItems === 1 ? '' : 's'}`);
  return valid(items);
}

interface FieldEntry {
  name: string;
  key: string;
  spec: AnySpec;
  default?: unknown;
  absent?: unknown;
}

function decodeFields(
  fields: readonly FieldEntry[], raw: Record<string, unknown>, fallback: unknown, path: string, report: DecodeReport,
): Decoded {
  // Only schema names are ever assigned, so a hostile key (__proto__, constructor) has nowhere to go.
  const out: Record<string, unknown> = {};
  const enclosing = isRecord(fallback) ? fallback : undefined;
  for (const field of fields) {
    const fieldPath = `${path}.${field.name}`;
    const fromEnclosing = enclosing && hasOwn(enclosing, field.name) ? enclosing[field.name] : undefined;
    const fieldFallback = fromEnclosing ?? field.default ?? (field.spec.kind === 'nullable' ? null : undefined);
    // Own properties only: an inherited one (even from a polluted Object.prototype) is never taken as a value.
    const present = hasOwn(raw, field.key);
    if (!present && field.absent !== undefined) {
      out[field.name] = structuredClone(field.absent);
      continue;
    }
    const decoded = present
      ? decodeAny(field.spec, raw[field.key], fieldFallback, fieldPath, report) : invalid(`${fieldPath} is missing`);
    if (decoded.ok) {
      out[field.name] = decoded.value;
    } else if (fieldFallback !== undefined) {
      // A missing field is normal (the link predates it); an invalid one is worth saying.
      if (present) report.warn(`${decoded.problem}; using ${describeFallback(fieldFallback)}.`);
      out[field.name] = structuredClone(fieldFallback);
    } else {
      return decoded;
    }
  }
  return valid(out);
}

/** A short, plain-text rendering of an untrusted value for a message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(sanitiseText(value, 40) + (value.length > 40 ? '…' : ''));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'a list' : `an ${typeof value}`;
}

function describeFallback(value: unknown): string {
  if (value === null) return 'nothing (left empty)';
  return typeof value === 'object' ? 'the default' : `the default ${describe(value)}`;
}

/** Short keys used twice in one object (a clash would silently overwrite a field); the tests keep this empty. */
export function shortKeyClashes<T>(spec: Spec<T>): string[] {
  return clashesIn(erase(spec), '$');
}

function clashesIn(spec: AnySpec, path: string): string[] {
  switch (spec.kind) {
    case 'nullable':
    case 'list':
    case 'record':
      return clashesIn(spec.of, path);
    case 'object': {
      const keys = Object.values(spec.fields).map((field) => field.key);
      const clashes = keys.filter((key, i) => keys.indexOf(key) !== i).map((key) => `${path}: ${key}`);
      const nested = Object.entries(spec.fields).flatMap(([name, field]) => clashesIn(field.spec, `${path}.${name}`));
      return [...clashes, ...nested];
    }
    default:
      return [];
  }
}
