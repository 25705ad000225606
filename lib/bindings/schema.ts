// JSON Schema validation of binding files, with ajv's errors turned into one BindingError per
// problem: the words come from the failing (sub)schema, the position from the YAML document.

import type { AnySchemaObject, ErrorObject } from 'ajv';
import { nearest } from '../nearest.js';
import { VALIDATORS } from './schemas/validators.generated.js';
import { describeValue, type FieldPath, type Source } from './source.js';

/** Validates a source's data; reports every problem and returns whether there were none. */
export type Validator = (src: Source) => boolean;

type CompiledSchema = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * The validator of a schema, compiled at build time (lib/bindings/schema-codegen.mjs, run by
 * `npm run build`): no schema is compiled, and ajv's compiler never loaded, while `ops` runs.
 */
export function compileSchema(schema: AnySchemaObject): Validator {
  const validate = (VALIDATORS as Record<string, CompiledSchema>)[String(schema.$id)];
  if (!validate) throw new Error(`schema ${String(schema.$id)} has no compiled validator: run \`npm run build\``);
  return (src) => {
    if (validate(src.data)) return true;
    reportSchemaErrors(src, validate.errors ?? []);
    return false;
  };
}

function reportSchemaErrors(src: Source, errors: ErrorObject[]): void {
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  // A wrong type makes every other keyword on that value noise (e.g. a list failing a oneOf of `required`s).
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const reported = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'type' && wrongType.has(e.instancePath)) continue;
    // `if` only says its `then`/`else` failed; their own errors name the field.
    if (e.keyword === 'if') continue;
    if (combinators.some((c) => c !== e && isBranchError(c, e))) continue;
    const path = parsePointer(e.instancePath);
    const schema: AnySchemaObject = e.parentSchema ?? {};
    switch (e.keyword) {
      case 'required': {
        const name = String(e.params.missingProperty);
        const expected = `${describeSchema(schema.properties?.[name] ?? {})} (required)`;
        src.report([...path, name], expected, 'no such field', 'parent');
        break;
      }
      case 'additionalProperties': {
        const known = Object.keys(schema.properties ?? {});
        const field = String(e.params.additionalProperty);
        const near = nearest(field, known);
        src.report(
          [...path, field],
          `a known field (${known.join(', ')})`,
          `an unknown field${near ? ` (did you mean ${near}?)` : ''}`,
          'key',
        );
        break;
      }
      case 'oneOf':
      case 'anyOf':
        reportCombinator(src, path, e);
        break;
      default: {
        // Several keywords of one (sub)schema failing on one value (type + enum, minLength + pattern) are one problem.
        const key = `${e.instancePath} ${e.schemaPath.slice(0, e.schemaPath.lastIndexOf('/'))}`;
        if (reported.has(key)) continue;
        reported.add(key);
        src.report(path, describeSchema(schema), describeValue(e.data));
      }
    }
  }
}

/** Whether `e` is an error from one of the branches of the failed combinator `c`. */
function isBranchError(c: ErrorObject, e: ErrorObject): boolean {
  return (
    e.schemaPath.startsWith(`${c.schemaPath}/`) &&
    (e.instancePath === c.instancePath || e.instancePath.startsWith(`${c.instancePath}/`))
  );
}

function reportCombinator(src: Source, path: FieldPath, e: ErrorObject): void {
  const branches = (e.schema as AnySchemaObject[]) ?? [];
  const quantity = e.keyword === 'oneOf' ? 'exactly one' : 'at least one';
  // `oneOf: [{required: [id]}, {required: [vmid]}]` is "one of these fields": say which ones are there.
  const fields = branches.map((b) =>
    Object.keys(b).length === 1 && b.required?.length === 1 ? String(b.required[0]) : null,
  );
  if (fields.every((f) => f !== null)) {
    const data = (e.data ?? {}) as Record<string, unknown>;
    const present = fields.filter((f) => f in data);
    src.report(
      path,
      `${quantity} of the fields ${fields.join(', ')}`,
      present.length ? present.join(' and ') : 'neither',
    );
    return;
  }
  src.report(path, `${quantity} of: ${branches.map(describeSchema).join('; ')}`, describeValue(e.data));
}

/** The values a (sub)schema accepts, in words: "an integer greater than 0", "one of a, b". */
function describeSchema(s: AnySchemaObject): string {
  if (typeof s.errorMessage === 'string') return s.errorMessage;
  if (Array.isArray(s.enum)) return `one of ${s.enum.join(', ')}`;
  if ('const' in s) return `exactly ${JSON.stringify(s.const)}`;
  const types: string[] = [s.type ?? []].flat();
  return types.map((t) => describeType(t, s)).join(' or ') || 'a valid value';
}

function describeType(type: string, s: AnySchemaObject): string {
  switch (type) {
    case 'integer':
      return `an integer${describeBounds(s)}`;
    case 'number':
      return `a number${describeBounds(s)}`;
    case 'string':
      return s.minLength ? 'a non-empty string' : 'a string';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    case 'boolean':
      return 'a boolean';
    default:
      return type;
  }
}

function describeBounds(s: AnySchemaObject): string {
  if (s.exclusiveMinimum !== undefined) return ` greater than ${s.exclusiveMinimum}`;
  if (s.minimum !== undefined && s.maximum !== undefined) return ` from ${s.minimum} to ${s.maximum}`;
  if (s.minimum !== undefined) return ` of at least ${s.minimum}`;
  if (s.maximum !== undefined) return ` of at most ${s.maximum}`;
  return '';
}

/** `/targets/3/glob` → `['targets', 3, 'glob']` (JSON pointer unescaping; digits are indexes). */
function parsePointer(pointer: string): FieldPath {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg));
}
