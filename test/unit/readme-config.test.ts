import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../core/config';

/** Every ```yaml block of the README, in order. */
function readmeYamlBlocks(): string[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  return [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

const ENV = { STRANGLER_ADMIN_TOKEN: 'correct-horse-battery', UNLEASH_CLIENT_TOKEN: 'default:development.client', UNLEASH_ADMIN_TOKEN: '*:*.admin' };

/**
 * The README's configuration examples are what users copy: the full one must load as it is, and each
 * fragment must load where it belongs (a route's keys under the example's route, top-level keys beside it).
 */
describe('README configuration examples', () => {
  const blocks = readmeYamlBlocks();
  const full = blocks.find((block) => block.startsWith('listen:'));

  test('the full example loads', () => {
    expect(full).toBeDefined();
    expect(parseConfig(full!, 'README.md', ENV).routes.map((route) => route.name)).toEqual(['orders']);
  });

  test.each(blocks.filter((block) => block.startsWith('    ') && !block.trimStart().startsWith('- ')).map((block) => [block.split('\n')[0]!.trim(), block]))(
    'the route fragment %s loads in the example route',
    (_first, fragment) => {
      expect(() => parseConfig(full! + fragment, 'README.md', ENV)).not.toThrow();
    },
  );

  test.each(blocks.filter((block) => block !== full && /^[a-z]+:/.test(block)).map((block) => [block.split('\n')[0]!.trim(), block]))(
    'the top-level fragment %s loads beside the example',
    (_first, fragment) => {
      // Beside the files the examples name (flags.bootstrap), as a user's folder would have them.
      const folder = mkdtempSync(join(tmpdir(), 'strangler-readme-'));
      try {
        writeFileSync(join(folder, 'flags-bootstrap.json'), '{"version": 2, "features": []}');
        expect(() => parseConfig(full! + fragment, join(folder, 'strangler.yaml'), ENV)).not.toThrow();
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  test('every other block is valid YAML', () => {
    const others = blocks.filter((block) => block !== full && !/^( {4}[a-z]|[a-z]+:)/.test(block));
    expect(others.length).toBeGreaterThan(0);
    for (const block of others) expect(() => parse(block)).not.toThrow();
  });
});
