import type { IncomingMessage } from 'node:http';
import { cookieValue, queryValue, stickyValue, utf8Text } from '../../proxy/sticky-key';

function req(headers: Record<string, string | string[] | undefined>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('cookieValue', () => {
  test('finds each cookie among several', () => {
    const header = 'a=1; session=abc123; theme=dark';
    expect(cookieValue(header, 'a')).toBe('1');
    expect(cookieValue(header, 'session')).toBe('abc123');
    expect(cookieValue(header, 'theme')).toBe('dark');
  });

  test('tolerates missing or extra spaces around pairs, names and values', () => {
    const header = 'a=1;session=abc;  theme = dark ;last=x  ';
    expect(cookieValue(header, 'session')).toBe('abc');
    expect(cookieValue(header, 'theme')).toBe('dark');
    expect(cookieValue(header, 'last')).toBe('x');
    expect(cookieValue(' session=lead', 'session')).toBe('lead');
  });

  test('strips one pair of surrounding double quotes', () => {
    expect(cookieValue('session="abc"', 'session')).toBe('abc');
    expect(cookieValue('a=1; session="u 42"; b=2', 'session')).toBe('u 42');
    expect(cookieValue('session="', 'session')).toBe('"');
    expect(cookieValue('session="abc', 'session')).toBe('"abc');
  });

  test('percent-decodes values', () => {
    expect(cookieValue('session=user%40example.com', 'session')).toBe('user@example.com');
    expect(cookieValue('session="a%20b"', 'session')).toBe('a b');
    expect(cookieValue('session=%E2%9C%93', 'session')).toBe('✓');
  });

  test('keeps a malformed percent-encoding as it was', () => {
    expect(cookieValue('session=100%', 'session')).toBe('100%');
    expect(cookieValue('session=%E0%A4%A', 'session')).toBe('%E0%A4%A');
  });

  test('a name that is a suffix or prefix of another name is not confused with it', () => {
    expect(cookieValue('xsession=wrong; session=right', 'session')).toBe('right');
    expect(cookieValue('my_session=wrong; session=right', 'session')).toBe('right');
    expect(cookieValue('session_id=wrong; session=right', 'session')).toBe('right');
    expect(cookieValue('xsession=wrong', 'session')).toBeUndefined();
    expect(cookieValue('session=right', 'xsession')).toBeUndefined();
  });

  test('a value that contains the name is not mistaken for it', () => {
    expect(cookieValue('other=session=evil; session=ok', 'session')).toBe('ok');
    expect(cookieValue('other=session=evil', 'session')).toBeUndefined();
  });

  test('values may contain "="', () => {
    expect(cookieValue('token=YWJj==; x=1', 'token')).toBe('YWJj==');
  });

  test('a pair with no "=" does not swallow the next pair', () => {
    expect(cookieValue('flag; session=abc', 'session')).toBe('abc');
    expect(cookieValue('flag; session=abc', 'flag')).toBeUndefined();
  });

  test('the first of duplicate cookies wins', () => {
    expect(cookieValue('session=first; session=second', 'session')).toBe('first');
  });

  test('names are case-sensitive', () => {
    expect(cookieValue('Session=abc', 'session')).toBeUndefined();
    expect(cookieValue('Session=abc; session=def', 'session')).toBe('def');
  });

  test('missing header or cookie → undefined', () => {
    expect(cookieValue(undefined, 'session')).toBeUndefined();
    expect(cookieValue('', 'session')).toBeUndefined();
    expect(cookieValue('a=1; b=2', 'session')).toBeUndefined();
    expect(cookieValue(';;;', 'session')).toBeUndefined();
  });

  test('an empty value → undefined', () => {
    expect(cookieValue('session=', 'session')).toBeUndefined();
    expect(cookieValue('session=; a=1', 'session')).toBeUndefined();
    expect(cookieValue('session=   ; a=1', 'session')).toBeUndefined();
    expect(cookieValue('session=""', 'session')).toBeUndefined();
  });

  test('an empty first occurrence is returned as undefined, not skipped', () => {
    expect(cookieValue('session=; session=later', 'session')).toBeUndefined();
  });
});

describe('queryValue', () => {
  test('finds a parameter anywhere in the query', () => {
    expect(queryValue('?user=42', 'user')).toBe('42');
    expect(queryValue('?a=1&user=42&b=2', 'user')).toBe('42');
    expect(queryValue('?a=1&b=2&user=42', 'user')).toBe('42');
  });

  test('the first occurrence wins', () => {
    expect(queryValue('?user=first&user=second', 'user')).toBe('first');
  });

  test('decodes names and values', () => {
    expect(queryValue('?us%65r=a%40b.c', 'user')).toBe('a@b.c');
    expect(queryValue('?user%5Bid%5D=7', 'user[id]')).toBe('7');
    expect(queryValue('?user=%E2%9C%93', 'user')).toBe('✓');
  });

  test('"+" is a space, "%2B" a plus', () => {
    expect(queryValue('?user=a+b', 'user')).toBe('a b');
    expect(queryValue('?user=a%2Bb', 'user')).toBe('a+b');
    expect(queryValue('?user+id=9', 'user id')).toBe('9');
  });

  test('values may contain "="', () => {
    expect(queryValue('?user=a=b', 'user')).toBe('a=b');
  });

  test('malformed encodings are kept as they were', () => {
    expect(queryValue('?user=%zz', 'user')).toBe('%zz');
    expect(queryValue('?user=50%', 'user')).toBe('50%');
  });

  test('a key without "=" or with an empty value → undefined', () => {
    expect(queryValue('?user', 'user')).toBeUndefined();
    expect(queryValue('?user&x=1', 'user')).toBeUndefined();
    expect(queryValue('?user=', 'user')).toBeUndefined();
    expect(queryValue('?user=&other=1', 'user')).toBeUndefined();
  });

  test('an empty first occurrence is returned as undefined, not skipped', () => {
    expect(queryValue('?user=&user=later', 'user')).toBeUndefined();
  });

  test('empty or absent query → undefined', () => {
    expect(queryValue('', 'user')).toBeUndefined();
    expect(queryValue('?', 'user')).toBeUndefined();
    expect(queryValue('?&&', 'user')).toBeUndefined();
    expect(queryValue('?a=1&b=2', 'user')).toBeUndefined();
  });

  test('a name that is part of another name does not match', () => {
    expect(queryValue('?userid=1', 'user')).toBeUndefined();
    expect(queryValue('?xuser=1&user=2', 'user')).toBe('2');
  });

  test('names are case-sensitive', () => {
    expect(queryValue('?User=1', 'user')).toBeUndefined();
  });
});

describe('stickyValue', () => {
  describe('header', () => {
    const stickiness = { kind: 'header', name: 'x-user-id' } as const;

    test('returns the header value', () => {
      expect(stickyValue(stickiness, req({ 'x-user-id': 'u-1' }), '')).toBe('u-1');
    });

    test('an array header gives its first element', () => {
      expect(stickyValue(stickiness, req({ 'x-user-id': ['u-1', 'u-2'] }), '')).toBe('u-1');
    });

    test('missing, empty string or empty array → undefined', () => {
      expect(stickyValue(stickiness, req({}), '')).toBeUndefined();
      expect(stickyValue(stickiness, req({ 'x-user-id': '' }), '')).toBeUndefined();
      expect(stickyValue(stickiness, req({ 'x-user-id': [] }), '')).toBeUndefined();
      expect(stickyValue(stickiness, req({ 'x-user-id': ['', 'u-2'] }), '')).toBeUndefined();
    });

    test('ignores cookie and query of the same name', () => {
      expect(stickyValue(stickiness, req({ cookie: 'x-user-id=c' }), '?x-user-id=q')).toBeUndefined();
    });

    test('is not decoded', () => {
      expect(stickyValue(stickiness, req({ 'x-user-id': 'a%20b+c' }), '')).toBe('a%20b+c');
    });
  });

  describe('cookie', () => {
    const stickiness = { kind: 'cookie', name: 'sid' } as const;

    test('reads the Cookie header', () => {
      expect(stickyValue(stickiness, req({ cookie: 'a=1; sid=%22s%22; b=2' }), '')).toBe('"s"');
      expect(stickyValue(stickiness, req({ cookie: 'a=1; sid="abc"' }), '')).toBe('abc');
    });

    test('no cookie header, or no such cookie → undefined', () => {
      expect(stickyValue(stickiness, req({}), '?sid=q')).toBeUndefined();
      expect(stickyValue(stickiness, req({ cookie: 'other=1' }), '')).toBeUndefined();
      expect(stickyValue(stickiness, req({ sid: 'header' }), '')).toBeUndefined();
    });
  });

  describe('query', () => {
    const stickiness = { kind: 'query', name: 'uid' } as const;

    test('reads the query argument, not the request headers', () => {
      expect(stickyValue(stickiness, req({ uid: 'header', cookie: 'uid=cookie' }), '?a=b&uid=q%201')).toBe('q 1');
    });

    test('absent → undefined', () => {
      expect(stickyValue(stickiness, req({ uid: 'header' }), '')).toBeUndefined();
      expect(stickyValue(stickiness, req({}), '?uid=')).toBeUndefined();
    });
  });

  test('random → always undefined', () => {
    const everything = req({ 'x-user-id': 'u', cookie: 'sid=s' });
    expect(stickyValue({ kind: 'random' }, everything, '?uid=q')).toBeUndefined();
  });
});

describe('cookie values are not form-encoded', () => {
  test('a "+" in a cookie stays a "+" (base64 session ids), unlike in a query string', () => {
    expect(cookieValue('sid=ab+c/d==', 'sid')).toBe('ab+c/d==');
    expect(queryValue('?sid=ab+c', 'sid')).toBe('ab c');
  });
});

describe('utf8Text: node:http gives header values and the URL one character per byte', () => {
  const asReceived = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

  test('UTF-8 bytes are read as UTF-8, in headers, cookies and query values', () => {
    expect(utf8Text(asReceived('renée'))).toBe('renée');
    expect(utf8Text(asReceived('李雷'))).toBe('李雷');
    expect(stickyValue({ kind: 'header', name: 'x-user-id' }, req({ 'x-user-id': asReceived('björn') }), '')).toBe('björn');
    expect(cookieValue(`session=${asReceived('zoë')}`, 'session')).toBe('zoë');
    expect(queryValue(`?user=${asReceived('søren')}`, 'user')).toBe('søren');
  });

  test('ASCII and bytes that are not UTF-8 stay as they came', () => {
    expect(utf8Text('user-42')).toBe('user-42');
    expect(utf8Text('jörg')).toBe('jörg'); // 0xF6 alone: a Latin-1 client's ö
    expect(utf8Text('\u00c3')).toBe('\u00c3'); // a lead byte without its continuation
  });
});
