import { BlockList, isIP } from 'node:net';
import { parseIpRange } from '../core/ip-range';

/**
 * The peers whose X-Forwarded-Proto and X-Forwarded-Host are believed (`listen.trustedProxies`): a load
 * balancer in front. From anyone else those headers are replaced by what strangler itself saw, so a
 * client cannot tell the monolith it came over https.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly empty: boolean;

  constructor(ranges: readonly string[]) {
    this.empty = ranges.length === 0;
    for (const text of ranges) {
      const range = parseIpRange(text);
      if (!range) throw new Error(`not an IP address or CIDR range: ${JSON.stringify(text)}`);
      if (range.prefix === undefined) this.list.addAddress(range.address, range.family);
      else this.list.addSubnet(range.address, range.prefix, range.family);
    }
  }

  has(ip: string | undefined): boolean {
    if (this.empty || !ip) return false;
    const version = isIP(ip);
    return version !== 0 && this.list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  }
}
