/**
 * Topic builders for the uplink to the central broker (docs/wire.md §3). Pure; the prefix is
 * `siaga/v1/gw/<gateway-id>`. Gateway and node ids are validated by the config schema
 * (`[a-z0-9][a-z0-9-]{0,31}`), so they never contain `/`, `+` or `#`.
 */
export interface UplinkTopics {
  prefix: string;
  status: string;
  readings: string;
  readingsZ: string;
  events: string;
  summary: string;
  /** CAP 1.2 documents as XML (issue 14). */
  cap: string;
  cmdReq: string;
  cmdRes: string;
  node(node: string): string;
}

export function topicPrefix(gatewayId: string): string {
  return `siaga/v1/gw/${gatewayId}`;
}

export function uplinkTopics(gatewayId: string): UplinkTopics {
  const prefix = topicPrefix(gatewayId);
  return {
    prefix,
    status: `${prefix}/status`,
    readings: `${prefix}/readings`,
    readingsZ: `${prefix}/readings/z`,
    events: `${prefix}/events`,
    summary: `${prefix}/summary`,
    cap: `${prefix}/cap`,
    cmdReq: `${prefix}/cmd/req`,
    cmdRes: `${prefix}/cmd/res`,
    node: (node: string) => `${prefix}/nodes/${node}`,
  };
}
