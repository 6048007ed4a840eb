import type { IncomingMessage } from 'node:http';
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

  /**
   * The client's address: the socket's peer, or behind trusted proxies the nearest X-Forwarded-For entry
   * that is not one of them (what nginx's realip module takes with `real_ip_recursive on`).
   */
  clientAddress(req: IncomingMessage): string | undefined {
    let address = req.socket.remoteAddress;
    if (!this.has(address)) return address;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((hop) => hop.trim());
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isIP(hop) === 0) return address;
      address = hop;
      if (!this.has(hop)) return hop;
    }
    return address;
  }

  has(ip: string | undefined): boolean {
    if (this.empty || !ip) return false;
    const version = isIP(ip);
    return version !== 0 && this.list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  }
}
