/**
 * Turns zod's validation issues into SpecIssues a spec author can act on:
 * the field path, the bad value and what is expected, in plain words.
 */
import { z } from 'zod';
import type { SpecIssue } from './spec';

type RawIssue = z.core.$ZodRawIssue;

/**
 * Describes what a field expects, for every issue code the spec schema can
 * raise. It is the parse-level zod error map, so a message set on the
 * schema itself (`{ error: ... }`) takes precedence over it.
 */
export function describeExpected(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return describeType(issue.expected, issue.inst);
    case 'too_small':
      return describeBound(issue.origin, Number(issue.minimum), issue.inclusive !== false, 'min');
    case 'too_big':
      return describeBound(issue.origin, Number(issue.maximum), issue.inclusive !== false, 'max');
    case 'invalid_format':
      if (issue.format === 'email') return 'expected an e-mail address such as name@example.com';
      if (issue.format === 'regex' && 'pattern' in issue) return `expected a string matching ${String(issue.pattern)}`;
      return `expected a valid ${issue.format}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}`
        : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return 'expected only known fields';
    case 'invalid_key':
      return 'expected a valid key';
    default:
      return 'expected a valid value';
  }
}

function describeType(expected: string, schema: unknown): string {
  switch (expected) {
    case 'number':
      return 'expected a number';
    case 'int':
      return 'expected a whole number';
    case 'string':
      return 'expected a string';
    case 'boolean':
      return 'expected true or false';
    case 'array':
      return 'expected a list';
    case 'record':
      return 'expected a mapping';
    case 'object': {
      const fields = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
      return fields.length > 0 ? `expected a mapping with the fields ${fields.join(', ')}` : 'expected a mapping';
    }
    default:
      return `expected ${expected}`;
  }
}

function describeBound(origin: string, bound: number, inclusive: boolean, side: 'min' | 'max'): string {
  if (origin === 'array') {
    return `expected ${side === 'min' ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}`;
  }
  if (origin === 'string') {
    if (side === 'min' && bound === 1) return 'expected a non-empty string';
    return `expected ${side === 'min' ? 'at least' : 'at most'} ${bound} characters`;
  }
  if (side === 'min') return inclusive ? `expected a number >= ${bound}` : `expected a number > ${bound}`;
  return inclusive ? `expected a number <= ${bound}` : `expected a number < ${bound}`;
}

/**
 * Converts the final zod issues of a failed parse of `input` against
 * `schema`. An unknown-fields issue becomes one SpecIssue per unknown field,
 * naming the closest known field when one is a likely typo. A bad record key
 * reports the key itself with the key schema's expectation.
 */
export function toSpecIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, input: unknown): SpecIssue[] {
  return issues.flatMap((issue): SpecIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      const parent = valueAt(input, issue.path);
      const known = knownFields(schema, issue.path);
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        value: renderValue(parent?.[key]),
        expected: unknownFieldExpectation(key, known),
      }));
    }
    if (issue.code === 'invalid_key') {
      return [{ path: formatPath(issue.path), value: renderValue(issue.input), expected: `invalid key: ${issue.issues[0]?.message ?? issue.message}` }];
    }
    return [{ path: formatPath(issue.path), value: renderValue(issue.input), expected: issue.message }];
  });
}

function unknownFieldExpectation(key: string, known: string[]): string {
  const suggestion = closestField(key, known);
  const hint = suggestion ? `did you mean '${suggestion}'? ` : '';
  return `unknown field; ${hint}expected only ${known.join(', ') || 'no fields'} here`;
}

/** Returns the known field within edit distance 2 (or differing only in case) of `key`, if any. */
function closestField(key: string, known: string[]): string | undefined {
  let best: { field: string; distance: number } | undefined;
  for (const field of known) {
    const distance = field.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, field);
    if (distance <= 2 && (!best || distance < best.distance)) best = { field, distance };
  }
  return best?.field;
}

/** Levenshtein distance between two strings. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Field names of the object schema at `path`, looking through defaults, optionals, arrays and records. */
function knownFields(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = unwrap(schema);
  for (const part of path) {
    current = current && childSchema(current, part);
    current = current && unwrap(current);
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function childSchema(schema: z.core.$ZodType, part: PropertyKey): z.core.$ZodType | undefined {
  if (schema instanceof z.ZodObject) return schema.shape[String(part)];
  if (schema instanceof z.ZodArray) return schema.element;
  if (schema instanceof z.ZodRecord) return schema.valueType;
  return undefined;
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) {
    current = current.unwrap();
  }
  return current;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): Record<string, unknown> | undefined {
  let current = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current !== null && typeof current === 'object' ? (current as Record<string, unknown>) : undefined;
}

/** Formats a path as `training.candidates[1].instanceType`; keys that are not identifiers are quoted: `prices.training["ml.x"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => {
      if (typeof part === 'number') return `[${part}]`;
      const key = String(part);
      if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `[${JSON.stringify(key)}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

/** Renders a value as JSON, cut to 80 characters; undefined stays undefined so the issue reads "missing". */
export function renderValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
