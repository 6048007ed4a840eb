/** Report formats: exact JSON shape, GitHub annotation escaping, well-formed JUnit, readable markdown and text. */
import { formatChanges } from '../../contracts/openapi/format';
import { escapeData, escapeProperty, formatGithubActions } from '../../contracts/openapi/format/githubactions';
import { formatJunit } from '../../contracts/openapi/format/junit';
import type { Change } from '../../contracts/openapi';

const CHANGES: Change[] = [
  {
    id: 'response-property-became-optional',
    level: 'ERR',
    operation: 'GET',
    path: '/pets/{petId}',
    source: 'specs/rev.yaml:42',
    text: "the property 'name' of the response body (200) became optional",
  },
  { id: 'request-parameter-removed', level: 'WARN', operation: 'GET', path: '/pets', source: 'specs/rev.yaml:7', text: "deleted the query request parameter 'a,b:c%d'" },
  { id: 'api-schema-removed', level: 'INFO', operation: '', path: '', source: 'specs/rev.yaml', text: "the schema 'Legacy' was removed from components" },
];

describe('json', () => {
  it('is {"changes": [...]} with exactly id, level, operation, path, source, text', () => {
    const parsed = JSON.parse(formatChanges([{ ...CHANGES[0]!, extra: 1 } as Change], 'json'));
    expect(parsed).toEqual({ changes: [CHANGES[0]] });
    expect(Object.keys(parsed.changes[0])).toEqual(['id', 'level', 'operation', 'path', 'source', 'text']);
    expect(JSON.parse(formatChanges([], 'json'))).toEqual({ changes: [] });
  });
});

describe('githubactions', () => {
  it('prints one annotation per change with file, line and the id as title', () => {
    const lines = formatGithubActions(CHANGES).trimEnd().split('\n');
    expect(lines[0]).toBe("::error file=specs/rev.yaml,line=42,title=response-property-became-optional::GET /pets/{petId}: the property 'name' of the response body (200) became optional");
    expect(lines[1]).toBe("::warning file=specs/rev.yaml,line=7,title=request-parameter-removed::GET /pets: deleted the query request parameter 'a,b:c%25d'");
    expect(lines[2]).toBe("::notice file=specs/rev.yaml,title=api-schema-removed::the schema 'Legacy' was removed from components");
  });

  it('escapes data and properties the way the runner reads them', () => {
    expect(escapeData('50%\r\nnext')).toBe('50%25%0D%0Anext');
    expect(escapeProperty('C:\\a,b\n')).toBe('C%3A\\a%2Cb%0A');
    const out = formatGithubActions([{ ...CHANGES[0]!, source: 'dir,x/a:b.yaml:3', text: 'two\nlines' }]);
    expect(out).toBe('::error file=dir%2Cx/a%3Ab.yaml,line=3,title=response-property-became-optional::GET /pets/{petId}: two%0Alines\n');
  });
});

describe('junit', () => {
  it('is well-formed XML with one testcase per change, failures at the fail-on level', () => {
    const xml = formatJunit([...CHANGES, { ...CHANGES[1]!, text: `<tag attr="x">&'` }], 'ERR');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('tests="4" failures="1"');
    expect(xml).toContain('&lt;tag attr=&quot;x&quot;&gt;&amp;&apos;');
    expect(xml).not.toMatch(/<tag/);
    expect(wellFormed(xml)).toBe(true);
    const warnFails = formatJunit(CHANGES, 'WARN');
    expect(warnFails.match(/<failure /g)).toHaveLength(2);
  });

  it('an empty diff is one passing testcase', () => {
    const xml = formatJunit([]);
    expect(xml).toContain('<testcase classname="openapi" name="no changes"/>');
    expect(wellFormed(xml)).toBe(true);
  });
});

describe('markdown and text', () => {
  it('markdown leads with the verdict and tables the breaking changes, folding the info away', () => {
    const md = formatChanges(CHANGES, 'markdown');
    expect(md).toContain('**1 breaking change**');
    expect(md).toContain('| 🔴 | `GET /pets/{petId}` |');
    expect(md).toMatch(/<details><summary>1 informational change<\/summary>/);
    expect(formatChanges([], 'markdown')).toContain('No changes');
  });

  it("markdown's verdict follows --fail-on: warnings that fail the check are not 'no breaking changes' alone", () => {
    const warningOnly = CHANGES.filter((c) => c.level !== 'ERR');
    expect(formatChanges(warningOnly, 'markdown')).toContain('**No breaking changes**, but some need a look');
    expect(formatChanges(warningOnly, 'markdown', 'WARN')).toContain('**1 warning fails this check** (`--fail-on WARN`), no breaking changes');
    expect(formatChanges(CHANGES, 'markdown', 'WARN')).toContain('**1 breaking change**');
  });

  it('markdown escapes table pipes', () => {
    const md = formatChanges([{ ...CHANGES[0]!, text: 'a | b' }], 'markdown');
    expect(md).toContain('a \\| b');
  });

  it('text has a summary line and one block per change', () => {
    const text = formatChanges(CHANGES, 'text');
    expect(text.split('\n')[0]).toBe('3 changes: 1 error, 1 warning, 1 info');
    expect(text).toContain('error\t[response-property-became-optional] at specs/rev.yaml:42\n\tin API GET /pets/{petId}\n');
    expect(formatChanges([], 'text')).toBe('No changes\n');
  });
});

/** A small XML well-formedness check: balanced tags, quoted attributes, only the five entities. */
function wellFormed(xml: string): boolean {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const token = /<\/?([A-Za-z_][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = token.exec(body))) {
    pos = token.lastIndex;
    if (m[4] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[4])) return false;
      continue;
    }
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[2] ?? '')) return false;
    if (m[0].startsWith('</')) {
      if (stack.pop() !== m[1]) return false;
    } else if (m[3] !== '/') stack.push(m[1]!);
  }
  return pos === body.length && stack.length === 0;
}
