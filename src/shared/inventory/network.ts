import { z } from 'zod';
import { WIN_LINUX, field, optBool, optCount, optText } from './field.js';

export const NetworkInterface = z.object({
  iface: field(z.string().max(256), 'Interface name as the OS names it (eth0, en0, Ethernet).'),
  name: field(optText(), 'Friendly name / description.'),
  mac: field(optText(), 'MAC address, lower-case, colon-separated; part of the hardware fingerprint.'),
  ipv4: field(z.array(z.string().max(64)).max(64), 'IPv4 addresses with prefix length (192.0.2.10/24).'),
  ipv6: field(z.array(z.string().max(128)).max(64), 'IPv6 addresses with prefix length.'),
  dhcp: field(optBool(), 'True when the address came from DHCP.'),
  type: field(optText(), 'wired, wireless, or virtual.'),
  speedMbps: field(optCount(), 'Link speed in Mbit/s.'),
  virtual: field(optBool(), 'True for virtual / software interfaces.'),
  operstate: field(optText(), 'Link state (up, down, unknown).'),
  isDefault: field(optBool(), 'True for the interface that carries the default route.'),
  dnsSuffix: field(optText(), 'Connection-specific DNS suffix.', WIN_LINUX),
});

export const NetworkSection = z.object({
  interfaces: field(z.array(NetworkInterface).max(256), 'Network interfaces, loopback excluded.'),
  defaultGateway: field(optText(), 'IPv4 default gateway.'),
});
