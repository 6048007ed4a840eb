import { normaliseTarget } from '../../proxy/path';

describe('normaliseTarget', () => {
  describe('plain origin-form paths', () => {
    test.each([
      ['/', '/'],
      ['/api', '/api'],
      ['/api/orders/7', '/api/orders/7'],
      ['/api/orders/', '/api/orders/'],
      ['/a.b/c.json', '/a.b/c.json'],
      ['/files/.well-known', '/files/.well-known'],
      ['/x/..y/z..', '/x/..y/z..'],
      ['/café', '/café'],
    ])('%s is returned untouched with an empty query', (url, path) => {
      expect(normaliseTarget(url)).toEqual({ path, query: '' });
    });

    test('an encoded unreserved character is decoded (RFC 3986 §6.2.2.2); other encodings are kept byte for byte', () => {
      expect(normaliseTarget('/a%20b/c%41')).toEqual({ path: '/a%20b/cA', query: '' });
      expect(normaliseTarget('/api/%6Frders/%37%2D%5f%7E%2F%3F%25')).toEqual({ path: '/api/orders/7-_~%2F%3F%25', query: '' });
      expect(normaliseTarget('/v1/%72eports?x=%72')).toEqual({ path: '/v1/reports', query: '?x=%72' });
    });

    test('a fragment makes the target unacceptable (a server that strips it would read another path)', () => {
      expect(normaliseTarget('/v1/reports#frag')).toBeUndefined();
      expect(normaliseTarget('/v1/x?y=1#frag')).toBeUndefined();
    });

    test('a segment that only looks like dots once double-encoded stays opaque', () => {
      expect(normaliseTarget('/a/%252e%252e/b')).toEqual({ path: '/a/%252e%252e/b', query: '' });
    });
  });

  describe('query string', () => {
    test('is split off and kept verbatim including the leading ?', () => {
      expect(normaliseTarget('/search?q=a+b&x=%2F&y')).toEqual({ path: '/search', query: '?q=a+b&x=%2F&y' });
    });

    test('a lone ? yields query "?"', () => {
      expect(normaliseTarget('/a?')).toEqual({ path: '/a', query: '?' });
    });

    test('dot-segments inside the query are not resolved', () => {
      expect(normaliseTarget('/api/orders?next=../../admin')).toEqual({ path: '/api/orders', query: '?next=../../admin' });
    });

    test('query is kept verbatim while the path is normalised', () => {
      expect(normaliseTarget('/api/./orders/../items?redirect=/a/../b//c&z=%2e%2e')).toEqual({
        path: '/api/items',
        query: '?redirect=/a/../b//c&z=%2e%2e',
      });
    });

    test('a query containing a second ? is kept whole', () => {
      expect(normaliseTarget('/a/../b?x=1?y=2')).toEqual({ path: '/b', query: '?x=1?y=2' });
    });

    test('dots in the query cannot make a path with no dots climb', () => {
      expect(normaliseTarget('/..?x')).toBeUndefined();
      expect(normaliseTarget('/a?/../../..')).toEqual({ path: '/a', query: '?/../../..' });
    });
  });

  describe('dot-segments', () => {
    test.each([
      ['/a/./b', '/a/b'],
      ['/./a', '/a'],
      ['/a/.', '/a/'],
      ['/.', '/'],
      ['/a/b/../c', '/a/c'],
      ['/a/b/..', '/a/'],
      ['/a/b/../', '/a/'],
      ['/a/..', '/'],
      ['/a/b/c/../../d', '/a/d'],
      ['/a/./b/./../c/.', '/a/c/'],
      ['/api/orders/../admin', '/api/admin'],
      ['/api/orders/7/../../../admin', '/admin'],
      ['/api/orders/..', '/api/'],
    ])('%s → %s', (url, path) => {
      expect(normaliseTarget(url)).toEqual({ path, query: '' });
    });

    test('/api/orders/../admin can no longer match the /api/orders prefix', () => {
      const target = normaliseTarget('/api/orders/../admin?x=1');
      expect(target).toEqual({ path: '/api/admin', query: '?x=1' });
      expect(target!.path.startsWith('/api/orders')).toBe(false);
    });

    test('segments that merely contain dots are not dot-segments', () => {
      expect(normaliseTarget('/a/.../b/./c')).toEqual({ path: '/a/.../b/c', query: '' });
      expect(normaliseTarget('/a/.b/../c')).toEqual({ path: '/a/c', query: '' });
    });
  });

  describe('percent-encoded dots', () => {
    test.each([
      ['/a/%2e/b', '/a/b'],
      ['/a/%2E/b', '/a/b'],
      ['/a/b/%2e%2e/c', '/a/c'],
      ['/a/b/%2E%2E/c', '/a/c'],
      ['/a/b/.%2e/c', '/a/c'],
      ['/a/b/%2E./c', '/a/c'],
      ['/a/b/%2e%2E', '/a/'],
      ['/api/orders/%2e%2e/admin', '/api/admin'],
    ])('%s → %s', (url, path) => {
      expect(normaliseTarget(url)).toEqual({ path, query: '' });
    });

    test('other encodings in normalised segments are kept as they were', () => {
      expect(normaliseTarget('/a%20b/./c%3B')).toEqual({ path: '/a%20b/c%3B', query: '' });
    });

    test('a segment with %2e plus other characters is not a dot-segment', () => {
      expect(normaliseTarget('/a/%2ebashrc')).toEqual({ path: '/a/.bashrc', query: '' });
    });
  });

  describe('empty segments', () => {
    test.each([
      ['//a', '/a'],
      ['/a//b', '/a/b'],
      ['/a///b////c', '/a/b/c'],
      ['//', '/'],
      ['///', '/'],
      ['/a//', '/a/'],
      ['//api//orders//7', '/api/orders/7'],
    ])('%s → %s', (url, path) => {
      expect(normaliseTarget(url)).toEqual({ path, query: '' });
    });

    test('collapsing and dot-segments combine', () => {
      expect(normaliseTarget('/a//b/..//c')).toEqual({ path: '/a/c', query: '' });
    });
  });

  describe('trailing slash', () => {
    test('is kept after normalisation', () => {
      expect(normaliseTarget('/a/./b/')).toEqual({ path: '/a/b/', query: '' });
      expect(normaliseTarget('/a/../b/')).toEqual({ path: '/b/', query: '' });
      expect(normaliseTarget('/a//b/')).toEqual({ path: '/a/b/', query: '' });
    });

    test('is not added when absent', () => {
      expect(normaliseTarget('/a/./b')).toEqual({ path: '/a/b', query: '' });
      expect(normaliseTarget('/a/../b')).toEqual({ path: '/b', query: '' });
    });
  });

  describe('climbing above the root', () => {
    test.each([
      '/..',
      '/../',
      '/../a',
      '/a/../..',
      '/a/../../b',
      '/a/b/../../../etc/passwd',
      '/%2e%2e',
      '/%2E%2E/a',
      '/a/%2e%2e/%2e%2e/b',
      '/./../a',
      '//../a',
      '/..?ok=1',
    ])('%s → undefined', (url) => {
      expect(normaliseTarget(url)).toBeUndefined();
    });

    test('climbing exactly to the root is fine', () => {
      expect(normaliseTarget('/a/b/../../c')).toEqual({ path: '/c', query: '' });
    });
  });

  describe('absolute-form targets', () => {
    test('http://host/a/b?x → /a/b with the query', () => {
      expect(normaliseTarget('http://host/a/b?x')).toEqual({ path: '/a/b', query: '?x' });
    });

    test('https, ports, user info and upper-case schemes are accepted', () => {
      expect(normaliseTarget('https://host:8443/a')).toEqual({ path: '/a', query: '' });
      expect(normaliseTarget('HTTP://Host.Example/a/b')).toEqual({ path: '/a/b', query: '' });
      expect(normaliseTarget('http://user:pw@host/a')).toEqual({ path: '/a', query: '' });
    });

    test('http://host (no path) → /', () => {
      expect(normaliseTarget('http://host')).toEqual({ path: '/', query: '' });
      expect(normaliseTarget('http://host:8080')).toEqual({ path: '/', query: '' });
    });

    test('http://host/ → /', () => {
      expect(normaliseTarget('http://host/')).toEqual({ path: '/', query: '' });
    });

    test('http://host?x → / with the query', () => {
      expect(normaliseTarget('http://host?x=1&y')).toEqual({ path: '/', query: '?x=1&y' });
    });

    test('dot-segments in an absolute-form path are resolved', () => {
      expect(normaliseTarget('http://host/api/orders/../admin?q=..')).toEqual({ path: '/api/admin', query: '?q=..' });
      expect(normaliseTarget('http://host//a/./b/')).toEqual({ path: '/a/b/', query: '' });
    });

    test('an absolute-form path climbing above the root → undefined', () => {
      expect(normaliseTarget('http://host/../etc')).toBeUndefined();
      expect(normaliseTarget('http://host/a/%2e%2e/%2e%2e')).toBeUndefined();
    });

    test('other schemes → undefined', () => {
      expect(normaliseTarget('ftp://host/a')).toBeUndefined();
      expect(normaliseTarget('ws://host/a')).toBeUndefined();
      expect(normaliseTarget('file:///etc/passwd')).toBeUndefined();
    });
  });

  describe('non-path targets', () => {
    test.each(['*', 'example.com:443', 'host:80', 'a/b', '', '?x=1', 'http:/host/a', '\\a'])('%j → undefined', (url) => {
      expect(normaliseTarget(url)).toBeUndefined();
    });
  });

  describe('ambiguous encodings', () => {
    test.each([
      '/a/..%2fadmin',
      '/a/..%2Fadmin',
      '/a%2f..%2fb',
      '/a/%2e%2e%2fadmin',
      '/a/..%5cadmin',
      '/a/..%5Cadmin',
      '/a\\..\\admin',
      '/a\\b/../c',
      '/api/orders/%2E%2E%2Fadmin',
      '/a/%2f/./b',
      '/a%2Fb/.',
    ])('%s (encoded slash / backslash with dots) → undefined', (url) => {
      expect(normaliseTarget(url)).toBeUndefined();
    });

    test('the check also refuses a harmless dot next to an encoded slash (conservative on purpose)', () => {
      expect(normaliseTarget('/files/a%2Freport.pdf')).toBeUndefined();
      expect(normaliseTarget('/files/a\\report.pdf')).toBeUndefined();
    });

    test('an encoded slash or backslash without any dot is kept as it is', () => {
      expect(normaliseTarget('/files/a%2Fb')).toEqual({ path: '/files/a%2Fb', query: '' });
      expect(normaliseTarget('/files/a%5Cb')).toEqual({ path: '/files/a%5Cb', query: '' });
      expect(normaliseTarget('/files/a\\b')).toEqual({ path: '/files/a\\b', query: '' });
    });

    test('an encoded slash in the query does not count', () => {
      expect(normaliseTarget('/a/./b?x=%2F..%5C')).toEqual({ path: '/a/b', query: '?x=%2F..%5C' });
    });

    test('an encoded slash in an absolute-form path with dots → undefined', () => {
      expect(normaliseTarget('http://host/a/..%2Fadmin')).toBeUndefined();
    });
  });

  test('is idempotent on its own output', () => {
    const inputs = ['/a/./b/../c//d/', '/api/orders/%2e%2e/admin?x=..', 'http://host/a//b?y', '/x/y/z/..'];
    for (const input of inputs) {
      const once = normaliseTarget(input)!;
      expect(once).toBeDefined();
      expect(normaliseTarget(once.path + once.query)).toEqual(once);
    }
  });

  test('every accepted result starts with / and contains no dot-segment or empty inner segment', () => {
    const inputs = ['/a/./b', '/a/../b/', '//a//b', '/a/%2e/b/%2E%2E/c', 'http://h/x/../y', 'http://h', '/a/b/.', '/a/b/..'];
    for (const input of inputs) {
      const { path } = normaliseTarget(input)!;
      expect(path.startsWith('/')).toBe(true);
      const segments = path.split('/').slice(1, -1);
      for (const segment of segments) {
        expect(segment).not.toBe('');
        expect(segment).not.toBe('.');
        expect(segment).not.toBe('..');
      }
    }
  });
});

describe('servlet path parameters on dot-segments', () => {
  test.each(['/api/orders/..;/admin', '/api/orders/..;jsessionid=1/admin', '/api/orders/.;x/a', '/api/orders/%2e%2e;/admin'])(
    '%s is refused (Tomcat and Spring read it as a dot-segment)',
    (target) => {
      expect(normaliseTarget(target)).toBeUndefined();
    },
  );

  test('semicolons elsewhere are kept as they are', () => {
    expect(normaliseTarget('/api/orders;v=2/7')).toEqual({ path: '/api/orders;v=2/7', query: '' });
    expect(normaliseTarget('/a/..b;c/d')).toEqual({ path: '/a/..b;c/d', query: '' });
  });
});
