// Which DNS server(s) to ask: an explicit "ip" / "ip:port" / "[ipv6]:port", or the system resolver.
import dns from "node:dns";
import net from "node:net";

export interface DnsServer {
  host: string;
  port: number;
}

/** Parses "ip", "ip:port" or "[ipv6]:port" (port default 53); undefined when malformed. */
export function parseDnsServer(text: string): DnsServer | undefined {
  const value = text.trim();
  let host = value;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const v4WithPort = /^([^:]+):(\d+)$/.exec(value);
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (v4WithPort) {
    host = v4WithPort[1];
    port = Number(v4WithPort[2]);
  }
  if (net.isIP(host) === 0 || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** The resolvers from /etc/resolv.conf, as Node read them at start-up (in order). */
export function systemDnsServers(): DnsServer[] {
  return dns
    .getServers()
    .map(parseDnsServer)
    .filter((s): s is DnsServer => s !== undefined);
}

export function formatDnsServer(server: DnsServer): string {
  return server.host.includes(":") ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}
