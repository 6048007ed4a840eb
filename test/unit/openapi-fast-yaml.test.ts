import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UNSUPPORTED, parseFastYaml } from '../../contracts/openapi/fast-yaml';
import { stringify } from 'yaml';
import { locationOf, parseSpecText, parseYamlWithLibrary } from '../../contracts/openapi/load';

const FIXTURES = join(__dirname, '..', 'fixtures', 'openapi');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Runs the fast reader, returning its value and the lines it recorded. */
function fast(text: string): { value: unknown; lines: Map<object, number> } {
  const lines = new Map<object, number>();
  const value = parseFastYaml(text, (v, line) => lines.set(v, line));
  return { value, lines };
}

/** Deep comparison of values, key order, and the start line of every object and array. */
function compare(a: unknown, b: unknown, fastLines: Map<object, number>, path: string): void {
  if (a === null || typeof a !== 'object') {
    if (!Object.is(a, b)) throw new Error(`${path}: library ${String(a)} (${typeof a}) vs fast ${String(b)} (${typeof b})`);
    return;
  }
  if (b === null || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) throw new Error(`${path}: shape differs`);
  const la = locationOf(a)?.line;
  const lb = fastLines.get(b);
  if (la !== lb) throw new Error(`${path}: library line ${la} vs fast line ${lb}`);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) throw new Error(`${path}: prototype differs`);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) throw new Error(`${path}: keys differ: ${JSON.stringify(ka)} vs ${JSON.stringify(kb)}`);
  for (const k of ka) compare((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], fastLines, `${path}/${k}`);
}

/** 'fast' when the fast reader handled it (and matched), 'fallback' when it declined. */
function check(text: string): 'fast' | 'fallback' {
  let library: unknown;
  let failed = false;
  try {
    library = parseYamlWithLibrary(text, 'spec.yaml');
  } catch {
    failed = true;
  }
  const { value, lines } = fast(text);
  if (failed) {
    // Bad YAML must never be accepted by the fast path: the error has to come from the library.
    expect(value).toBe(UNSUPPORTED);
    return 'fallback';
  }
  if (value === UNSUPPORTED) return 'fallback';
  compare(library, value, lines, '');
  return 'fast';
}

describe('fast YAML reader: same values and lines as the yaml package', () => {
  const files = yamlFiles(FIXTURES);

  it('finds the fixture specs', () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it('matches the yaml package on every fixture YAML file', () => {
    let handled = 0;
    const declined: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
      if (/^\s*[[{]/.test(text)) continue; // JSON content goes through the JSON parser
      let result: 'fast' | 'fallback';
      try {
        result = check(text);
      } catch (err) {
        throw new Error(`${file}: ${(err as Error).message}`);
      }
      if (result === 'fast') handled++;
      else declined.push(file);
    }
    // The point is speed on ordinary specs: nearly all fixtures must take the fast path.
    expect(handled).toBeGreaterThan(files.length * 0.9);
  });

  const cases: Record<string, string> = {
    'literal block scalars with chomping': [
      'a: |',
      '  line one',
      '    indented',
      '',
      '  line three',
      '',
      '',
      'b: |-',
      '  stripped',
      '',
      'c: |+',
      '  kept',
      '',
      '',
      'd: x',
      'e: |',
      '  # not a comment',
      '  last',
      '# a real comment',
      'f: 1',
    ].join('\n'),
    'folded block scalars': [
      'a: >',
      '  folded one',
      '  folded two',
      '',
      '  new paragraph',
      '    more indented',
      '  back',
      '',
      'b: >-',
      '',
      '  leading blank',
      '  text',
      'c: >+',
      '  keep',
      '',
      'd: >',
      '  x',
      '',
      '',
      '    y',
      '  z',
      'e: | # comment on the header',
      '  t',
    ].join('\n'),
    'quoted strings with escapes': [
      'a: "tab\\there \\"quoted\\" back\\\\slash \\u00e9 \\x41 \\U0001F600 \\/ \\n"',
      "b: 'it''s single # not a comment'",
      'c: ""',
      "d: ''",
      'e: "# not a comment" # a comment',
      "f: 'x: y'",
      'g: "multi: colon, [brackets] {braces}"',
    ].join('\n'),
    'empty values and nulls': ['a:', 'b: ~', 'c: null', 'd: Null', 'e: NULL', 'f:   ', 'g:', '  # comment only', 'h: # comment', 'i:'].join('\n'),
    'numbers and booleans': [
      'a: 1e3',
      'b: 0x10',
      'c: .5',
      'd: -0',
      'e: 0o17',
      'f: +12',
      'g: 1.50',
      'h: .inf',
      'i: -.Inf',
      'j: .nan',
      'k: 007',
      'l: 1_000',
      'm: 2025-01-01',
      'n: true',
      'o: False',
      'p: TRUE',
      'q: yes',
      'r: 12345678901234567890',
      's: 1.',
      't: -1.5e-3',
      'u: 0x1G',
      'v: 1.2.3',
      '200: status key',
      '1.0: float key',
      'true: bool key',
      '~: null key',
    ].join('\n'),
    'keys with colons and quotes': [
      '"a:b": 1',
      "'c: d': 2",
      'e:f: 3',
      'http://x: 4',
      '"": empty quoted key',
      '"quoted key": "quoted value"',
      "it's: fine",
    ].join('\n'),
    'comments after values and around': [
      '# leading comment',
      '',
      'a: value # trailing comment',
      'b: value#not-a-comment',
      'c:',
      '  # comment before the first key',
      '',
      '  d: 1 # x',
      '    # indented comment',
      'e: "q" # c',
      'f: [1, 2] # c',
      'g: {a: 1} # c',
    ].join('\n'),
    'flow collections': [
      'a: []',
      'b: {}',
      'c: [a, b, "c d", \'e\', 1, true, ~]',
      'd: {a: 1, "b": two, c: ~}',
      'e: [ spaced , items ]',
      'f:',
      '  - [x, y]',
      '  - {k: v}',
    ].join('\n'),
    'sequences in every form': [
      'a:',
      '- one',
      '- two',
      'b:',
      '  - k: v',
      '    l: w',
      '  - - nested',
      '    - seq',
      '  -',
      '    m: n',
      '  -',
      '  - "quoted"',
      '  - "q": v',
      '  -   wide: indent',
      '      more: keys',
      'c: end',
    ].join('\n'),
    'document start marker and deep nesting': ['--- # start', 'a:', '  b:', '    c:', '      - d:', '          e: [1]', '  f: g'].join('\n'),
    'odd plain scalars': [
      'a: -dash',
      'b: x - y',
      'c: a:b',
      'd: ends with spaces   ',
      'e: 100%',
      'f: <html> & more',
      'g: x, y]',
      'h: ---',
      'i: ...',
      'k: "a" ',
    ].join('\n'),
  };

  for (const [name, text] of Object.entries(cases)) {
    it(`matches on ${name}`, () => {
      expect(check(text)).toBe('fast');
      expect(check(`${text}\n`)).toBe('fast');
    });
  }

  it('matches on generated documents written by the yaml package (strings with newlines, quotes, colons, ...)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = ['a', 'word', ' ', '  ', ': ', ':', ' #', '#', '\n', '\n\n', "'", '"', '\\', '-', '- ', '1', '0x1', '.5', '1e3', 'true', 'null', '~', '[', '{', ',', '|', '>', '&', '*', '!', '%', '@', 'é', '\u2028', '  lead'];
    const str = (): string => {
      let out = '';
      for (let i = rand(6); i >= 0; i--) out += pieces[rand(pieces.length)];
      return out;
    };
    const value = (depth: number): unknown => {
      const k = rand(depth > 3 ? 5 : 8);
      if (k === 0) return rand(1000) - 500;
      if (k === 1) return rand(2) === 0;
      if (k === 2) return null;
      if (k === 3) return rand(1000) / 8;
      if (k === 4) return str();
      if (k === 5) return Array.from({ length: rand(4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = rand(5); i > 0; i--) o[str() || 'k'] = value(depth + 1);
      return o;
    };
    let handled = 0;
    for (let n = 0; n < 400; n++) {
      const doc: Record<string, unknown> = { openapi: '3.0.0' };
      for (let i = rand(6); i > 0; i--) doc[str() || 'k'] = value(0);
      for (const options of [{}, { lineWidth: 20 }, { indentSeq: false }]) {
        const text = stringify(doc, options);
        try {
          if (check(text) === 'fast') handled++;
        } catch (err) {
          throw new Error(`${(err as Error).message}\n--- document ---\n${text}`);
        }
      }
    }
    expect(handled).toBeGreaterThan(100);
  });

  it('never accepts what the yaml package rejects, and matches what it accepts (mutated edge cases)', () => {
    let seed = 777;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bits = [' ', '  ', ':', ': ', '-', '- ', '#', ' #', '"', "'", '|', '>', '|-', '>+', '[', ']', '{', '}', ',', 'x', '1', '\n', '\n  ', '\\', '~'];
    const sources = Object.values(cases);
    for (let n = 0; n < 3000; n++) {
      let text = sources[rand(sources.length)]!;
      for (let m = rand(3); m >= 0; m--) {
        const at = rand(text.length + 1);
        const op = rand(3);
        if (op === 0) text = text.slice(0, at) + bits[rand(bits.length)] + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rand(3));
        else text = text.slice(0, at) + bits[rand(bits.length)] + text.slice(at + 1);
      }
      try {
        check(text);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- document ---\n${text}`);
      }
    }
  });

  const fallbacks: Record<string, string> = {
    anchor: 'a: &x\n  b: 1\nc: *x\n',
    alias: 'a: 1\nb: *a\n',
    tag: 'a: !!str 1\n',
    'local tag': 'a: !thing x\n',
    'complex key': '? a\n: b\n',
    'merge key': 'base: {a: 1}\nc:\n  <<: {a: 2}\n',
    'multi-document': 'a: 1\n---\nb: 2\n',
    directive: '%YAML 1.2\n---\na: 1\n',
    'tab indentation': 'a:\n\tb: 1\n',
    'CRLF line ends': 'a: 1\r\nb: 2\r\n',
    'multi-line plain scalar': 'a: one\n  two\n',
    'multi-line double-quoted': 'a: "one\n  two"\n',
    'multi-line single-quoted': "a: 'one\n  two'\n",
    'unusual escape': 'a: "x\\ y"\n',
    'indentation indicator': 'a: |2\n   x\n',
    'empty block scalar': 'a: |\nb: 1\n',
    'nested flow': 'a: [[1]]\n',
    'duplicate key': 'a: 1\na: 2\n',
    'bad indentation': 'a:\n    b: 1\n  c: 2\n',
    'value after mapping value': 'a: b: c\n',
    'unterminated quote': 'a: "x\n',
    'sequence after value': 'a: 1\n- b\n',
    'scalar root': 'just text\n',
    '__proto__ key': '__proto__: {a: 1}\n',
    'dash as a mapping value': 'a: -\n',
    'space before a key colon': "x'  : 1\n",
  };

  for (const [name, text] of Object.entries(fallbacks)) {
    it(`falls back on ${name}`, () => {
      expect(fast(text).value).toBe(UNSUPPORTED);
      expect(check(text)).toBe('fallback');
    });
  }

  it('errors still come from the yaml package, with the same message', () => {
    const bad = 'a: 1\na: 2\n';
    expect(() => parseSpecText(bad, 'x.yaml')).toThrow(/^x\.yaml:2: invalid YAML: /);
    let viaLibrary = '';
    try {
      parseYamlWithLibrary(bad, 'x.yaml');
    } catch (err) {
      viaLibrary = (err as Error).message;
    }
    expect(() => parseSpecText(bad, 'x.yaml')).toThrow(viaLibrary);
  });

  it('records locations through the loader on the fast path', () => {
    const root = parseSpecText('openapi: 3.0.0\npaths:\n  /a:\n    get:\n      tags: [x]\n', 'spec.yaml') as Record<string, any>;
    expect(locationOf(root)).toEqual({ file: 'spec.yaml', line: 1 });
    expect(locationOf(root.paths)).toEqual({ file: 'spec.yaml', line: 3 });
    expect(locationOf(root.paths['/a'].get)).toEqual({ file: 'spec.yaml', line: 5 });
    expect(locationOf(root.paths['/a'].get.tags)).toEqual({ file: 'spec.yaml', line: 5 });
  });
});
