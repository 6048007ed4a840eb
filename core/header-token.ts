/**
 * Tokens travel in HTTP headers (`Authorization: Bearer <admin.token>`, Unleash's `Authorization: <token>`),
 * where only visible ASCII fits: HTTP clients refuse other bytes before sending anything, and a space splits the
 * Bearer credentials. One rule for the configuration, the CLI's `--token` and STRANGLER_ADMIN_TOKEN.
 */
export const TOKEN_CHARACTERS_RULE = 'must contain only visible ASCII characters, without spaces (it is sent in an HTTP header)';

/** The 1-based position of the first character a header cannot carry in a token, or undefined when all can. */
export function unsendableTokenCharacter(token: string): number | undefined {
  const index = token.search(/[^\x21-\x7e]/);
  return index < 0 ? undefined : index + 1;
}
