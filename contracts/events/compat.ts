/**
 * Compatibility of event schemas: BASE and REVISION walked side by side (properties, nested objects, array
 * `items` and tuples, map values, `required`, `type`, `enum` / `const`, validation keywords, closing
 * `additionalProperties`, local `$ref`s, `allOf`, `anyOf`/`oneOf` members), every difference reported as an
 * `EventChange` with a stable rule id (see `rules.ts` for the ids, levels and the directions each breaks),
 * then rated by the compatibility mode (`compatibility.ts`).
 *
 * Sets are matched by event and version; a version only the revision has is also compared with the latest
 * earlier version of its event (all earlier ones under a `_TRANSITIVE` mode), as a schema registry does.
 *
 * Recursive schemas (a `$ref` back into an enclosing definition) are walked once per cycle: a pair of
 * nodes already being compared higher up the path is not entered again.
 */
import { basename } from 'node:path';
import { sameJson } from '../json-equal';
import { eventKey, eventLabel, compareEventSchemas, type EventSchema, type EventSchemaSet } from './load';
import { ROOT_PATH, indexPath, itemsPath, mapValuesPath, propertyPath } from './json-path';
import { DEFAULT_COMPATIBILITY, isTransitive, rateChange, type CompatibilityMode, type FoundChange } from './compatibility';
import { BREAKS_BACKWARD, BREAKS_BOTH, BREAKS_FORWARD, EVENT_RULES, type CompatibilityDirection, type EventChange, type EventRuleId } from './rules';
import { compileEventSchema } from './validate';
import {
  CONSTRAINT_KEYWORDS,
  UNCHECKED_KEYWORDS,
  hasUnion,
  mayBe,
  restrictedTo,
  unionMember,
  unionOf,
  viewOf,
  type ConstraintKeyword,
  type Schema,
  type SchemaDocument,
  type SchemaView,
  type Union,
} from './schema-view';

export interface EventDiffOptions {
  /** Which directions must hold (and, with `compareVersions`, against the latest or every earlier version). FULL by default. */
  compatibility?: CompatibilityMode;
  /**
   * Check a new version of an event against the earlier ones, as a schema registry's subject holds them all.
   * Off by default: here a new version is the way to make a breaking change, its own contract.
   */
  compareVersions?: boolean;
}

/**
 * Compares two sets of event schemas (see `diffEventSchemas`); two single files are compared with each other.
 * Every schema on both sides is compiled first, as `events-validate` does: one that is not a valid schema
 * (a dangling or remote `$ref`, `"type": "objekt"`, an unsupported `$schema`) is an `EventContractError`,
 * never a change.
 */
export function diffEventSchemaSets(base: EventSchemaSet, revision: EventSchemaSet, options: EventDiffOptions = {}): EventChange[] {
  const mode = options.compatibility ?? DEFAULT_COMPATIBILITY;
  // The walk first: where it meets a bad `$ref` its error names the path; compiling then finds the rest.
  const found = changesBetween(base, revision, mode, options.compareVersions === true);
  for (const schema of [...base.schemas, ...revision.schemas]) compileEventSchema(schema);
  return found.map((f) => rateChange(f, mode));
}

function changesBetween(base: EventSchemaSet, revision: EventSchemaSet, mode: CompatibilityMode, compareVersions: boolean): FoundChange[] {
  if (base.kind === 'file' && revision.kind === 'file') return findChanges(base.schemas[0]!, revision.schemas[0]!);

  const baseByKey = new Map(base.schemas.map((s) => [eventKey(s.event, s.version), s]));
  const revisionByKey = new Map(revision.schemas.map((s) => [eventKey(s.event, s.version), s]));
  const all = [...base.schemas, ...revision.schemas.filter((s) => !baseByKey.has(eventKey(s.event, s.version)))].sort(compareEventSchemas);

  const found: FoundChange[] = [];
  for (const schema of all) {
    const key = eventKey(schema.event, schema.version);
    const before = baseByKey.get(key);
    const after = revisionByKey.get(key);
    if (before && after) found.push(...findChanges(before, after));
    else if (before) {
      const text = `${eventLabel(before.event, before.version)} was removed (${basename(before.file)}): its events can no longer be validated or replayed`;
      found.push(ruled(change('event-schema-removed', { event: before.event, version: before.version }, ROOT_PATH, text)));
    } else if (after) {
      const inBase = base.schemas.filter((s) => s.event === after.event).map((s) => s.version);
      const text = inBase.length
        ? `new version ${after.version} of ${after.event} (base has ${inBase.map((v) => `v${v}`).join(', ')})`
        : `new event ${eventLabel(after.event, after.version)}`;
      found.push(ruled(change('event-schema-added', after, ROOT_PATH, text)));
      if (!compareVersions) continue;
      const earlier = earlierVersions(after, base, revision);
      for (const previous of isTransitive(mode) ? earlier : earlier.slice(-1)) found.push(...findChanges(previous, after, previous.version));
    }
  }
  return found;
}

/**
 * The versions of `schema`'s event below its own, oldest first, as a registry holds them: the revision's copy
 * of a version where it has one (the state after the merge), else the base's.
 */
function earlierVersions(schema: EventSchema, base: EventSchemaSet, revision: EventSchemaSet): EventSchema[] {
  const byVersion = new Map<number, EventSchema>();
  for (const s of [...base.schemas, ...revision.schemas]) {
    if (s.event === schema.event && s.version < schema.version) byVersion.set(s.version, s);
  }
  return [...byVersion.values()].sort(compareEventSchemas);
}

/**
 * Compares one event schema with its revision; changes are named after the revision's event and version.
 * Levels as `options.compatibility` rates them (FULL by default: every rule at its own level).
 */
export function diffEventSchemas(base: EventSchema, revision: EventSchema, options: EventDiffOptions = {}): EventChange[] {
  const mode = options.compatibility ?? DEFAULT_COMPATIBILITY;
  return findChanges(base, revision).map((f) => rateChange(f, mode));
}

/** `previousVersion`: set when `base` is an earlier version of the event, not the same version before. */
function findChanges(base: EventSchema, revision: EventSchema, previousVersion?: number): FoundChange[] {
  const subject: Subject = { event: revision.event, version: revision.version, previousVersion };
  const walk = new Walk({ file: base.file, root: base.schema }, { file: revision.file, root: revision.schema }, subject);
  walk.compare(base.schema, revision.schema, ROOT_PATH, 0);
  return withoutRepeats(walk.found);
}

/** One change per rule, path and text: two union members compared with one schema may find the same one. */
function withoutRepeats(found: FoundChange[]): FoundChange[] {
  const seen = new Set<string>();
  return found.filter((f) => {
    const key = `${changeKey(f)}:${f.breaks.join()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function changeKey({ change: c }: FoundChange): string {
  return JSON.stringify([c.id, c.path, c.text]);
}

/** The changes as they stand once `direction` is known to hold: it leaves their `breaks`, and those that broke only it go. */
function holding(found: FoundChange[], direction: CompatibilityDirection): FoundChange[] {
  return found.flatMap((f) => {
    if (!f.breaks.includes(direction)) return [f];
    const breaks = f.breaks.filter((d) => d !== direction);
    return breaks.length === 0 ? [] : [{ ...f, breaks }];
  });
}

/** What the changes are named after: the revision's event and version, and the version it is compared with. */
interface Subject {
  event: string;
  version: number;
  previousVersion?: number;
}

function change(id: EventRuleId, subject: Subject, path: string, text: string): EventChange {
  const { event, version, previousVersion } = subject;
  return { id, level: EVENT_RULES[id].level, event, version, ...(previousVersion === undefined ? {} : { previousVersion }), path, text };
}

/** A change that breaks what its rule says it breaks. */
function ruled(c: EventChange): FoundChange {
  return { change: c, breaks: EVENT_RULES[c.id].breaks };
}

/** A JSON value for a message, cut to a readable length. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function showTypes(types: string[] | undefined): string {
  if (types === undefined) return 'any type';
  if (types.length === 0) return 'no type';
  return types.join(' | ');
}

const MAX_DEPTH = 256;

/** One anyOf/oneOf member: its schema, its position (0-based) and its types (undefined: any). */
interface Member {
  schema: Schema;
  index: number;
  types?: string[];
}

function memberLabel(m: Member): string {
  return `#${m.index + 1} (${showTypes(m.types)})`;
}

/** The types both admit (undefined: any type); empty when none. */
function commonTypes(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const numeric = (t: string): boolean => t === 'number' || t === 'integer';
  return [...new Set(a.flatMap((t) => (b.includes(t) ? [t] : numeric(t) && b.some(numeric) ? ['integer'] : [])))].sort();
}

/** Whether `covered` (types, or undefined for any) takes in every one of `types`. */
function coversTypes(covered: string[] | undefined, types: string[] | undefined): boolean {
  if (covered === undefined) return true;
  return types !== undefined && types.every((t) => covered.includes(t) || (t === 'integer' && covered.includes('number')));
}

/** A union on one side of a comparison, nothing of the kind on the other. */
interface OneSidedUnion {
  side: 'base' | 'revision';
  union: Union;
  /** The schema holding the union, and the other side's schema and view. */
  owner: Schema;
  other: Schema;
  otherView: SchemaView;
}

/** One union member compared with the other side narrowed to the member's types. */
interface MemberProbe {
  member: Member;
  /** The types the member and the other side share (undefined: any). */
  shared?: string[];
  found: FoundChange[];
  /** The member takes in every value of the other side it shares types with (as the union's side needs). */
  covers: boolean;
}

function typesOverlap(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  const numeric = (t: string): boolean => t === 'number' || t === 'integer';
  return a.some((t) => b.includes(t) || (numeric(t) && b.some(numeric)));
}

const LOWER_BOUNDS = new Set<ConstraintKeyword>(['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties']);
const UPPER_BOUNDS = new Set<ConstraintKeyword>(['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties']);

/** Node identities and the pairs being compared: shared by a walk and its probes, so cycles stop there too. */
interface WalkState {
  active: Set<string>;
  ids: WeakMap<object, number>;
  counter: number;
}

class Walk {
  readonly found: FoundChange[] = [];

  constructor(
    private readonly base: SchemaDocument,
    private readonly revision: SchemaDocument,
    private readonly subject: Subject,
    private readonly state: WalkState = { active: new Set(), ids: new WeakMap(), counter: 0 },
  ) {}

  /** `breaks`: where the walk knows better than the rule's own directions (see `EVENT_RULES`). */
  private emit(id: EventRuleId, path: string, text: string, breaks: readonly CompatibilityDirection[] = EVENT_RULES[id].breaks): void {
    this.found.push({ change: change(id, this.subject, path, text), breaks });
  }

  private idOf(node: object): number {
    let id = this.state.ids.get(node);
    if (id === undefined) this.state.ids.set(node, (id = ++this.state.counter));
    return id;
  }

  compare(baseSchema: Schema, revisionSchema: Schema, path: string, depth: number): void {
    if (depth > MAX_DEPTH) return;
    const b = viewOf(baseSchema, this.base, path);
    const r = viewOf(revisionSchema, this.revision, path);
    const key = `${this.idOf(b.origin)}:${this.idOf(r.origin)}`;
    const { active } = this.state;
    if (active.has(key)) return; // a cycle: this pair is already being compared higher up
    active.add(key);
    try {
      if (b.never || r.never) {
        if (r.never && !b.never) this.emit('event-property-type-changed', path, 'no value is accepted any more (the schema is false or its types exclude each other)', BREAKS_BACKWARD);
        return;
      }
      this.compareTypes(b, r, path);
      const union = oneSidedUnion(baseSchema, b, revisionSchema, r);
      if (union) return this.compareAcrossUnion(union, path, depth);
      this.compareValues(b, r, path);
      this.compareConstraints(b, r, path);
      this.compareUnchecked(b, r, path, depth);
      if (mayBe(b, 'object') && mayBe(r, 'object')) this.compareObjects(b, r, path, depth);
      if (mayBe(b, 'array') && mayBe(r, 'array')) this.compareArrays(b, r, path, depth);
    } finally {
      active.delete(key);
    }
  }

  private compareTypes(b: SchemaView, r: SchemaView, path: string): void {
    if (sameJson(b.types ?? null, r.types ?? null)) return;
    const before = showTypes(b.types);
    const after = showTypes(r.types);
    const widened = b.types !== undefined && (r.types === undefined || b.types.every((t) => r.types!.includes(t) || (t === 'integer' && r.types!.includes('number'))));
    const narrowed = r.types !== undefined && (b.types === undefined || r.types.every((t) => b.types!.includes(t) || (t === 'integer' && b.types!.includes('number'))));
    const why = widened
      ? 'widened: consumers built on the old schema get types they do not expect'
      : narrowed
        ? 'narrowed: old events of the other types no longer validate'
        : 'old events no longer validate, and consumers built on the old schema get types they do not expect';
    this.emit('event-property-type-changed', path, `type changed from ${before} to ${after} (${why})`, widened ? BREAKS_FORWARD : narrowed ? BREAKS_BACKWARD : BREAKS_BOTH);
  }

  private compareValues(b: SchemaView, r: SchemaView, path: string): void {
    const before = b.values;
    const after = r.values;
    if (!before && !after) return;
    if (!before) {
      if (after!.kind === 'const') this.emit('event-const-changed', path, `const ${show(after!.values[0])} was added: old events may carry other values`, BREAKS_BACKWARD);
      else this.emit('event-enum-added', path, `values are now restricted to ${after!.values.map(show).join(', ')}: old events may carry others`);
      return;
    }
    if (!after) {
      if (before.kind === 'const') this.emit('event-const-removed', path, `const ${show(before.values[0])} was removed: any value may appear now`);
      else this.emit('event-enum-removed', path, `the enum (${before.values.map(show).join(', ')}) was removed: any value may appear now`);
      return;
    }
    if (before.kind === 'const' && after.kind === 'const') {
      if (!sameJson(before.values[0], after.values[0])) this.emit('event-const-changed', path, `const changed from ${show(before.values[0])} to ${show(after.values[0])}`);
      return;
    }
    for (const value of before.values) {
      if (!after.values.some((v) => sameJson(v, value))) this.emit('event-enum-value-removed', path, `enum value ${show(value)} was removed: old events carrying it no longer validate`);
    }
    for (const value of after.values) {
      if (!before.values.some((v) => sameJson(v, value))) this.emit('event-enum-value-added', path, `enum value ${show(value)} was added: consumers must handle it`);
    }
  }

  private compareConstraints(b: SchemaView, r: SchemaView, path: string): void {
    for (const keyword of CONSTRAINT_KEYWORDS) {
      const before = b.constraints[keyword];
      const after = r.constraints[keyword];
      if (sameJson(before ?? null, after ?? null)) continue;
      let tightened: boolean;
      let text: string;
      if (before === undefined) {
        tightened = keyword !== 'uniqueItems' || after === true;
        text = `${keyword} ${show(after)} was added`;
      } else if (after === undefined) {
        tightened = false;
        text = `${keyword} ${show(before)} was removed`;
      } else if (typeof before === 'number' && typeof after === 'number' && (LOWER_BOUNDS.has(keyword) || UPPER_BOUNDS.has(keyword))) {
        tightened = LOWER_BOUNDS.has(keyword) ? after > before : after < before;
        text = `${keyword} ${after > before ? 'raised' : 'lowered'} from ${before} to ${after}`;
      } else if (keyword === 'multipleOf' && typeof before === 'number' && typeof after === 'number') {
        tightened = !Number.isInteger(before / after);
        text = `multipleOf changed from ${before} to ${after}`;
      } else if (keyword === 'uniqueItems') {
        tightened = after === true;
        text = `uniqueItems changed from ${show(before)} to ${show(after)}`;
      } else {
        tightened = true;
        text = `${keyword} changed from ${show(before)} to ${show(after)}`;
      }
      if (tightened) this.emit('event-constraint-tightened', path, `${text}: old events may no longer validate`);
      else this.emit('event-constraint-loosened', path, `${text}: consumers validating with the old schema may reject new events`);
    }
  }

  private compareUnchecked(b: SchemaView, r: SchemaView, path: string, depth: number): void {
    for (const keyword of UNCHECKED_KEYWORDS) {
      const before = b.unchecked[keyword];
      const after = r.unchecked[keyword];
      if (sameJson(before ?? null, after ?? null)) continue;
      if ((keyword === 'anyOf' || keyword === 'oneOf') && this.compareMembers(keyword, before, after, path, depth)) continue;
      const what = before === undefined ? 'was added' : after === undefined ? 'was removed' : 'changed';
      this.emit('event-unchecked-keyword-changed', path, `${keyword} ${what}: not compared, so it may break old events or consumers; review by hand`);
    }
  }

  /**
   * anyOf / oneOf members, compared where that can be done soundly: identical members are matched, the rest
   * paired by type when each has one type of its own, and each pair compared as any two schemas are. A member
   * gone (old events that matched only it fail) is ERR; a member added, WARN (consumers must handle its
   * values), except in a oneOf where its types overlap another member's: an old event may then match two
   * members and fail. Returns false when the lists cannot be compared (not lists; members that pair no way).
   */
  private compareMembers(keyword: 'anyOf' | 'oneOf', before: unknown, after: unknown, path: string, depth: number): boolean {
    if (before === undefined && Array.isArray(after)) {
      this.emit('event-constraint-tightened', path, `${keyword} was added: old events must now match one of its members`);
      return true;
    }
    if (after === undefined && Array.isArray(before)) {
      this.emit('event-constraint-loosened', path, `${keyword} was removed: values its members excluded may appear`);
      return true;
    }
    if (!Array.isArray(before) || !Array.isArray(after)) return false;
    const asMember = (s: unknown): Schema | undefined => (typeof s === 'boolean' || (s !== null && typeof s === 'object' && !Array.isArray(s)) ? (s as Schema) : undefined);
    const bm = before.map(asMember);
    const rm = after.map(asMember);
    if (bm.includes(undefined) || rm.includes(undefined)) return false;
    const members = (list: Schema[], doc: SchemaDocument): Member[] => list.map((schema, index) => ({ schema, index, types: viewOf(schema, doc, path).types }));
    let left = members(bm as Schema[], this.base);
    let right = members(rm as Schema[], this.revision);
    const pairs: Array<[Member, Member]> = [];
    for (const m of left) {
      const same = right.find((o) => sameJson(o.schema, m.schema));
      if (!same) continue;
      pairs.push([m, same]);
      right = right.filter((o) => o !== same);
    }
    left = left.filter((m) => !pairs.some(([p]) => p === m));
    // What is left is paired by its one type, when that type is that member's alone on both sides.
    const single = (m: Member, side: Member[]): string | undefined => (m.types?.length === 1 && side.filter((o) => o.types?.length === 1 && o.types[0] === m.types![0]).length === 1 ? m.types[0] : undefined);
    for (const m of [...left]) {
      const t = single(m, left);
      const o = t === undefined ? undefined : right.find((x) => single(x, right) === t);
      if (!o) continue;
      pairs.push([m, o]);
      left = left.filter((x) => x !== m);
      right = right.filter((x) => x !== o);
    }
    for (const [m, o] of pairs) this.compare(m.schema, o.schema, path, depth + 1);
    for (const m of left) {
      this.emit('event-composition-member-removed', path, `${keyword} member ${memberLabel(m)} was removed: old events that matched only it no longer validate`);
    }
    const known = [...pairs.map(([, o]) => o), ...right];
    for (const m of right) {
      const overlaps = keyword === 'oneOf' && known.some((o) => o !== m && typesOverlap(o.types, m.types));
      if (overlaps) this.emit('event-unchecked-keyword-changed', path, `oneOf member ${memberLabel(m)} was added and may match what another member matches: old events matching two members fail; not compared, review by hand`);
      else this.emit('event-composition-member-added', path, `${keyword} member ${memberLabel(m)} was added: consumers must handle its values`);
    }
    return true;
  }

  /**
   * A union on one side only (`{type: number}` against `{anyOf: [{type: number}, {type: null}]}`): each member,
   * with the rest of its node, is compared with the other side narrowed to the member's types. A member
   * sharing no type with the other side was added (or removed); the types themselves are compared by
   * `compareTypes`, the union's being its members' together. Whether the union tightens (added) or loosens
   * (removed) is decided by the members: old events still validate when, for each type, one new member takes
   * in all the old schema took (and new events, when one old member took in all the new schema takes). A
   * member that does frees the others of that direction; when none does, one member alone is reported in
   * depth, several as one tightened (loosened) union.
   */
  private compareAcrossUnion(one: OneSidedUnion, path: string, depth: number): void {
    const { side, union } = one;
    const covering: CompatibilityDirection = side === 'revision' ? 'backward' : 'forward';
    const members = this.membersOf(one, path);
    const probes: MemberProbe[] = [];
    for (const member of members) {
      const shared = commonTypes(one.otherView.types, member.types);
      if (shared !== undefined && shared.length === 0) this.unmatchedMember(union.keyword, member, side, path);
      else probes.push(this.probeMember(one, member, shared, covering, path, depth));
    }
    const covered = probes.filter((p) => p.covers);
    const isCovered = (p: MemberProbe): boolean => covered.some((c) => coversTypes(c.shared, p.shared));
    const uncovered = probes.filter((p) => !p.covers && !isCovered(p));
    // What every uncovered member changes holds whichever member an event matches.
    const inEvery = new Set(uncovered.length === 0 ? [] : uncovered[0]!.found.map(changeKey).filter((key) => uncovered.every((p) => p.found.some((f) => changeKey(f) === key))));
    for (const probe of probes) {
      const inDepth = probe.covers || (uncovered.length === 1 && uncovered[0] === probe);
      this.found.push(...(inDepth ? probe.found : probe.found.flatMap((f) => (inEvery.has(changeKey(f)) ? [f] : holding([f], covering)))));
    }
    if (uncovered.length > 1) {
      if (side === 'revision') this.emit('event-constraint-tightened', path, `${union.keyword} was added: old events must now match one of its members`);
      else this.emit('event-constraint-loosened', path, `${union.keyword} was removed: values its members excluded may appear`);
    }
    if (union.keyword === 'oneOf') this.reportOneOfOverlap(members, side, path);
  }

  /** The union's members, each with the rest of its node; members nothing can match are left out. */
  private membersOf({ side, union, owner }: OneSidedUnion, path: string): Member[] {
    const doc = side === 'revision' ? this.revision : this.base;
    return union.members.flatMap((schema, index) => {
      const whole = unionMember(owner, union, schema);
      const view = viewOf(whole, doc, path);
      return view.never ? [] : [{ schema: whole, index, types: view.types }];
    });
  }

  private probeMember(one: OneSidedUnion, member: Member, shared: string[] | undefined, covering: CompatibilityDirection, path: string, depth: number): MemberProbe {
    const other = shared === undefined ? one.other : restrictedTo(one.other, shared);
    const probe = new Walk(this.base, this.revision, this.subject, this.state);
    if (one.side === 'revision') probe.compare(other, member.schema, path, depth + 1);
    else probe.compare(member.schema, other, path, depth + 1);
    return { member, shared, found: probe.found, covers: !probe.found.some((f) => f.breaks.includes(covering)) };
  }

  /** A member of a type the other side does not have: new in the revision, or gone from the base. */
  private unmatchedMember(keyword: Union['keyword'], member: Member, side: OneSidedUnion['side'], path: string): void {
    if (side === 'revision') this.emit('event-composition-member-added', path, `${keyword} member ${memberLabel(member)} was added: consumers must handle its values`);
    else this.emit('event-composition-member-removed', path, `${keyword} member ${memberLabel(member)} was removed: old events that matched only it no longer validate`);
  }

  /** A oneOf whose members may match one value: added, old events matching two fail; removed, new events matching two fail the old schema. */
  private reportOneOfOverlap(members: Member[], side: OneSidedUnion['side'], path: string): void {
    const pair = members.flatMap((m, i) => members.slice(i + 1).filter((o) => typesOverlap(m.types, o.types)).map((o): [Member, Member] => [m, o]))[0];
    if (!pair) return;
    const which = `members ${memberLabel(pair[0])} and ${memberLabel(pair[1])} may match the same value`;
    if (side === 'revision') this.emit('event-unchecked-keyword-changed', path, `oneOf was added and its ${which}: old events matching both fail; not compared, review by hand`, BREAKS_BACKWARD);
    else this.emit('event-unchecked-keyword-changed', path, `oneOf was removed and its ${which}: consumers validating with the old schema reject new events matching both; not compared, review by hand`, BREAKS_FORWARD);
  }

  private compareObjects(b: SchemaView, r: SchemaView, path: string, depth: number): void {
    for (const [name, before] of b.properties) {
      const at = propertyPath(path, name);
      const after = r.properties.get(name);
      if (after === undefined && !r.required.has(name)) {
        // Where the revision no longer takes any value under that name, old events carrying it fail too.
        this.emit('event-property-removed', at, `property "${name}" was removed`, r.closed || r.additional !== undefined ? BREAKS_BOTH : BREAKS_FORWARD);
        continue;
      }
      this.compareRequired(b, r, name, at);
      this.compare(before, after ?? true, at, depth + 1);
    }
    for (const [name, after] of r.properties) {
      if (b.properties.has(name)) continue;
      const at = propertyPath(path, name);
      if (b.required.has(name)) {
        // Required before without a schema of its own; declared now.
        this.compareRequired(b, r, name, at);
        this.compare(true, after, at, depth + 1);
      } else if (r.required.has(name)) {
        this.emit('event-required-property-added', at, `new required property "${name}": old events do not have it`, this.limitsNewNames(b));
      } else if (b.closed) {
        this.emit('event-property-added-to-closed-object', at, `new property "${name}" where additionalProperties is false: consumers validating with the old schema reject events that carry it`);
      } else if (this.acceptsAll(b.additional ?? true, after, at, depth)) {
        this.emit('event-optional-property-added', at, `new optional property "${name}"`);
      } else {
        const old = b.additional === undefined ? 'any value' : 'any value additionalProperties allowed';
        this.emit('event-property-added-to-open-object', at, `new property "${name}" in an open object: old events may already carry it with ${old}, and its schema does not accept them all`, this.limitsNewNames(b));
      }
    }
    // Names only listed in `required`, with no schema on either side.
    for (const name of r.required) {
      if (b.properties.has(name) || r.properties.has(name) || b.required.has(name)) continue;
      this.emit('event-required-property-added', propertyPath(path, name), `new required property "${name}": old events do not have it`, this.limitsNewNames(b));
    }
    for (const name of b.required) {
      if (b.properties.has(name) || r.properties.has(name)) continue;
      this.compareRequired(b, r, name, propertyPath(path, name));
    }

    if (!b.closed && r.closed) {
      this.emit('event-additional-properties-closed', path, 'additionalProperties: false closes the object: old events with other properties no longer validate');
    } else if (b.closed && !r.closed) {
      this.emit('event-additional-properties-opened', path, 'the object is open now (additionalProperties is no longer false): consumers validating with the old schema reject events with other properties');
    } else if (!b.closed && !r.closed && (b.additional !== undefined || r.additional !== undefined)) {
      this.compare(b.additional ?? true, r.additional ?? true, mapValuesPath(path), depth + 1);
    }
  }

  /**
   * Does `after` accept every value `before` accepted? A property added to an open object (or a tuple
   * position past the old ones) may already be in old events, with any value the old content model let
   * through: BACKWARD compatibility (the new schema reads old events) needs the new schema to take all of
   * them. Confluent's schema registry refuses the opposite as PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, and allows
   * an empty schema or one covering a partially open model (additionalProperties as a schema).
   * Judged by walking `before` against `after`: any ERR-level change there counts as no (conservative).
   */
  private acceptsAll(before: Schema, after: Schema, path: string, depth: number): boolean {
    const probe = new Walk(this.base, this.revision, this.subject, this.state);
    probe.compare(before, after, path, depth + 1);
    return !probe.found.some((f) => f.change.level === 'ERR');
  }

  /**
   * The directions a new property breaks besides backward: forward too when BASE limits what other names may
   * carry (closed, or an `additionalProperties` schema), as consumers validating with it may reject the value.
   */
  private limitsNewNames(b: SchemaView): readonly CompatibilityDirection[] {
    return b.closed || b.additional !== undefined ? BREAKS_BOTH : BREAKS_BACKWARD;
  }

  private compareRequired(b: SchemaView, r: SchemaView, name: string, at: string): void {
    const before = b.required.has(name);
    const after = r.required.has(name);
    if (!before && after) this.emit('event-property-became-required', at, `property "${name}" became required: old events without it no longer validate`);
    if (before && !after) this.emit('event-property-became-optional', at, `property "${name}" is no longer required: consumers that rely on it will find it missing`);
  }

  private compareArrays(b: SchemaView, r: SchemaView, path: string, depth: number): void {
    const before = b.tuple ?? [];
    const after = r.tuple ?? [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const at = indexPath(path, i);
      if (i < before.length && i < after.length) this.compare(before[i]!, after[i]!, at, depth + 1);
      else if (i < before.length) this.emit('event-property-removed', at, `tuple position ${i} was removed`, r.items === undefined ? BREAKS_FORWARD : BREAKS_BOTH);
      else if (this.acceptsAll(b.items ?? true, after[i]!, at, depth)) this.emit('event-optional-property-added', at, `new tuple position ${i}`);
      else this.emit('event-property-added-to-open-object', at, `new tuple position ${i}: old events may have a value there that its schema rejects`, b.items === undefined ? BREAKS_BACKWARD : BREAKS_BOTH);
    }
    if (b.items !== undefined || r.items !== undefined) this.compare(b.items ?? true, r.items ?? true, itemsPath(path), depth + 1);
  }
}

/** The union when exactly one side has one (see `compareAcrossUnion`); undefined otherwise. */
function oneSidedUnion(baseSchema: Schema, b: SchemaView, revisionSchema: Schema, r: SchemaView): OneSidedUnion | undefined {
  const inRevision = unionOf(r);
  if (inRevision && !hasUnion(b)) return { side: 'revision', union: inRevision, owner: revisionSchema, other: baseSchema, otherView: b };
  const inBase = unionOf(b);
  if (inBase && !hasUnion(r)) return { side: 'base', union: inBase, owner: baseSchema, other: revisionSchema, otherView: r };
  return undefined;
}
