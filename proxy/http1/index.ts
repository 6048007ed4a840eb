export { UpstreamPool, type UpstreamPoolOptions } from './pool';
export { UpstreamError, tlsFailure, type ExchangeController, type ExchangeHandler, type ExchangeOptions, type UpstreamErrorCode } from './types';
