import { codeSpan, markdownText, renderEventChanges, renderEventFailures } from '../../contracts/events/format';
import type { EventChange } from '../../contracts/events/rules';
import type { EventFailure } from '../../contracts/events/validate';

const changes: EventChange[] = [
  { id: 'event-property-removed', level: 'ERR', event: 'order-placed', version: 1, path: '$.customer.email', text: 'property "email" was removed' },
  { id: 'event-enum-value-added', level: 'WARN', event: 'order-placed', version: 1, path: '$.status', text: 'enum value "held" was added: consumers must handle it' },
  { id: 'event-schema-added', level: 'INFO', event: 'shipment-sent', version: 1, path: '$', text: 'new event shipment-sent v1' },
];

const failures: EventFailure[] = [
  { index: 0, line: 1, event: 'order-placed', version: 1, path: '$.items[0].price', message: 'must be number, got string' },
  { index: 2, line: 3, event: 'order-shipped', path: '$', message: 'unknown event "order-shipped": no schema for it in schemas' },
];

describe('events-diff output', () => {
  test('text: an aligned table and a summary', () => {
    expect(renderEventChanges(changes, 'text')).toBe(
      [
        'LEVEL  RULE                    EVENT             PATH              CHANGE',
        'ERR    event-property-removed  order-placed v1   $.customer.email  property "email" was removed',
        'WARN   event-enum-value-added  order-placed v1   $.status          enum value "held" was added: consumers must handle it',
        'INFO   event-schema-added      shipment-sent v1  $                 new event shipment-sent v1',
        '',
        '3 changes: 1 ERR, 1 WARN, 1 INFO',
        '',
      ].join('\n'),
    );
    expect(renderEventChanges([], 'text')).toBe('no changes\n');
  });

  test('json: {"changes": [...]}', () => {
    expect(JSON.parse(renderEventChanges(changes, 'json'))).toEqual({ changes });
    expect(JSON.parse(renderEventChanges([], 'json'))).toEqual({ changes: [] });
  });

  test('markdown: a verdict heading and a table for a pull-request comment', () => {
    expect(renderEventChanges(changes, 'markdown')).toBe(
      [
        '### Event contracts: ❌ 1 breaking change',
        '',
        '1 ERR, 1 WARN, 1 INFO',
        '',
        '| Level | Event | Path | Change | Rule |',
        '| --- | --- | --- | --- | --- |',
        '| ❌ ERR | `order-placed` v1 | `$.customer.email` | property "email" was removed | `event-property-removed` |',
        '| ⚠️ WARN | `order-placed` v1 | `$.status` | enum value "held" was added: consumers must handle it | `event-enum-value-added` |',
        '| ℹ️ INFO | `shipment-sent` v1 | `$` | new event shipment-sent v1 | `event-schema-added` |',
        '',
      ].join('\n'),
    );
    expect(renderEventChanges(changes.slice(1), 'markdown').split('\n')[0]).toBe('### Event contracts: ⚠️ no breaking changes, 1 warning');
    expect(renderEventChanges([], 'markdown')).toBe('### Event contracts: ✅ no breaking changes\n\nNo differences between the base and the revision schemas.\n');
  });

  test('a new version compared with an earlier one names both versions', () => {
    const versioned: EventChange[] = [
      { id: 'event-property-removed', level: 'ERR', event: 'order-placed', version: 3, previousVersion: 1, path: '$.amount', text: 'property "amount" was removed' },
    ];
    expect(renderEventChanges(versioned, 'text').split('\n')[1]).toBe('ERR    event-property-removed  order-placed v1 → v3  $.amount  property "amount" was removed');
    expect(renderEventChanges(versioned, 'markdown')).toContain('| ❌ ERR | `order-placed` v1 → v3 | `$.amount` |');
    expect(JSON.parse(renderEventChanges(versioned, 'json')).changes[0].previousVersion).toBe(1);
  });

  test('the compatibility mode is shown when given, in all three formats', () => {
    const options = { compatibility: 'BACKWARD_TRANSITIVE' as const };
    expect(renderEventChanges(changes, 'text', options).trimEnd().split('\n').pop()).toBe('3 changes: 1 ERR, 1 WARN, 1 INFO (compatibility: BACKWARD_TRANSITIVE)');
    expect(renderEventChanges([], 'text', options)).toBe('no changes (compatibility: BACKWARD_TRANSITIVE)\n');
    expect(renderEventChanges(changes, 'markdown', options).split('\n')[0]).toBe('### Event contracts (BACKWARD_TRANSITIVE): ❌ 1 breaking change');
    expect(renderEventChanges([], 'markdown', options).split('\n')[0]).toBe('### Event contracts (BACKWARD_TRANSITIVE): ✅ no breaking changes');
    expect(JSON.parse(renderEventChanges(changes, 'json', options))).toEqual({ compatibility: 'BACKWARD_TRANSITIVE', changes });
  });

  test('markdown never lets schema text become markup', () => {
    expect(codeSpan("$['a|`b']")).toBe("``$['a\\|`b']``");
    expect(markdownText('property "<img src=x>" *bold* [link](x) a|b')).toBe('property "\\<img src=x\\>" \\*bold\\* \\[link\\](x) a\\|b');
    expect(markdownText('line\nbreak')).toBe('line\\u000abreak');
  });
});

describe('events-validate output', () => {
  test('text', () => {
    expect(renderEventFailures({ events: 3, failures }, 'text')).toBe(
      [
        'INDEX  LINE  EVENT            PATH              PROBLEM',
        '0      1     order-placed v1  $.items[0].price  must be number, got string',
        '2      3     order-shipped    $                 unknown event "order-shipped": no schema for it in schemas',
        '',
        '2 failures in 2 of 3 events',
        '',
      ].join('\n'),
    );
    expect(renderEventFailures({ events: 1, failures: [] }, 'text')).toBe('1 event: all valid\n');
  });

  test('json: {"failures": [...]}', () => {
    expect(JSON.parse(renderEventFailures({ events: 3, failures }, 'json'))).toEqual({ failures });
  });

  test('markdown', () => {
    expect(renderEventFailures({ events: 3, failures }, 'markdown')).toBe(
      [
        '### Event samples: ❌ 2 failures in 2 of 3 events',
        '',
        '| Index | Line | Event | Path | Problem |',
        '| ---: | ---: | --- | --- | --- |',
        '| 0 | 1 | `order-placed` v1 | `$.items[0].price` | must be number, got string |',
        '| 2 | 3 | `order-shipped` | `$` | unknown event "order-shipped": no schema for it in schemas |',
        '',
      ].join('\n'),
    );
    expect(renderEventFailures({ events: 2, failures: [] }, 'markdown')).toBe('### Event samples: ✅ 2 events: all valid\n');
  });
});
