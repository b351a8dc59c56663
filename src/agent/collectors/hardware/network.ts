import type { NetworkInterface, NetworkSection } from '../../../shared/inventory/index.js';
import type { z } from 'zod';
import { bool, dmiText, list, macAddress, positiveInt, prefixLength, record, text } from './normalize.js';
import { sortBy } from './storage.js';

export type NetworkData = z.infer<typeof NetworkSection>;
type InterfaceData = z.infer<typeof NetworkInterface>;

interface Address {
  family: 4 | 6;
  text: string;
}

/**
 * Every address of every interface from Node's os.networkInterfaces() (the library keeps only one
 * IPv4 and one IPv6 address per interface). Keyed by interface name as Node names it.
 */
function nodeAddresses(osInterfaces: unknown): Map<string, { addresses: Address[]; mac: string | null }> {
  const byName = new Map<string, { addresses: Address[]; mac: string | null }>();
  for (const [name, infos] of Object.entries(record(osInterfaces))) {
    const addresses: Address[] = [];
    let mac: string | null = null;
    for (const info of list(infos)) {
      const i = record(info);
      mac ??= macAddress(i.mac);
      const family = i.family === 'IPv4' || i.family === 4 ? 4 : i.family === 'IPv6' || i.family === 6 ? 6 : null;
      if (family === null) continue;
      const formatted = formatAddress(family, i.address, i.netmask);
      if (formatted !== null) addresses.push({ family, text: formatted });
    }
    byName.set(name, { addresses, mac });
  }
  return byName;
}

/**
 * "address/prefix" from an address and its netmask. IPv6 zone ids ("%17") are dropped, and
 * IPv6 link-local addresses (fe80::/10) are left out: every interface has one, they are not
 * reachable beyond the link, and tunnel interfaces get new ones at each start.
 */
function formatAddress(family: 4 | 6, address: unknown, netmask: unknown): string | null {
  const raw = text(address, 128)?.toLowerCase().split('%')[0] ?? null;
  if (!raw) return null;
  if (family === 4 && ipv4(raw) === null) return null;
  if (family === 6 && (!/^[0-9a-f:.]+$/.test(raw) || !raw.includes(':') || /^fe[89ab][0-9a-f]:/.test(raw))) return null;
  const prefix = prefixLength(netmask);
  return prefix === null ? raw : `${raw}/${prefix}`;
}

function isLoopback(iface: Record<string, unknown>, name: string): boolean {
  if (iface.internal === true) return true;
  const friendly = typeof iface.ifaceName === 'string' ? iface.ifaceName : '';
  return /^lo\d*$/.test(name) || /loopback/i.test(name) || /loopback/i.test(friendly);
}

/**
 * Maps si.networkInterfaces() and si.networkGatewayDefault() to the network section, loopback
 * excluded. With Node's os.networkInterfaces() at hand, every address of an interface is listed
 * (joined by name, else by MAC); without it, the one IPv4 and one IPv6 address the library keeps.
 */
export function mapNetwork(siInterfaces: unknown, siGateway: unknown, osInterfaces?: unknown): NetworkData {
  const nodeInfo = osInterfaces === undefined ? null : nodeAddresses(osInterfaces);
  const interfaces: InterfaceData[] = [];
  for (const entry of list(siInterfaces)) {
    const n = record(entry);
    const iface = text(n.iface, 256);
    if (iface === null || isLoopback(n, iface)) continue;
    const mac = macAddress(n.mac);
    let addresses: Address[] | undefined;
    if (nodeInfo !== null) {
      const match = nodeInfo.get(iface) ?? (mac === null ? undefined : [...nodeInfo.values()].find((info) => info.mac === mac));
      addresses = match?.addresses;
    }
    addresses ??= [
      { family: 4 as const, text: formatAddress(4, n.ip4, n.ip4subnet) },
      { family: 6 as const, text: formatAddress(6, n.ip6, n.ip6subnet) },
    ].filter((a): a is Address => a.text !== null);
    const type = text(n.type, 32)?.toLowerCase() ?? null;
    interfaces.push({
      iface,
      name: text(n.ifaceName, 256),
      mac,
      ipv4: unique(addresses.filter((a) => a.family === 4).map((a) => a.text)).slice(0, 64),
      ipv6: unique(addresses.filter((a) => a.family === 6).map((a) => a.text)).slice(0, 64),
      dhcp: bool(n.dhcp),
      type,
      // A wireless link's rate follows the radio conditions from minute to minute; it is not inventory.
      speedMbps: type === 'wireless' ? null : positiveInt(n.speed),
      virtual: bool(n.virtual),
      operstate: text(n.operstate, 32)?.toLowerCase() ?? null,
      isDefault: bool(n.default),
      dnsSuffix: dmiText(n.dnsSuffix, 256),
    });
  }
  return {
    interfaces: sortBy(interfaces, (i) => i.iface).slice(0, 256),
    defaultGateway: ipv4(siGateway),
  };
}

function ipv4(value: unknown): string | null {
  const cleaned = text(value, 64);
  if (cleaned === null || !/^\d{1,3}(\.\d{1,3}){3}$/.test(cleaned)) return null;
  return cleaned.split('.').every((o) => Number(o) <= 255) ? cleaned : null;
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
