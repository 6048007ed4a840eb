export { UpstreamPool, type UpstreamPoolOptions } from './pool';
export { UpstreamError, type ExchangeController, type ExchangeHandler, type ExchangeOptions, type UpstreamErrorCode } from './types';
