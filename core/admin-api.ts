/**
 * Set on every answer of the admin API: the CLI refuses an answer without it (say, --admin pointed at the
 * proxy's own port, where the monolith would answer the CLI's requests and see its token).
 */
export const ADMIN_API_HEADER = 'x-strangler-admin';
