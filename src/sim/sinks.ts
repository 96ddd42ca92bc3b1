import { closeSync, openSync, writeSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { NodeConfig } from '../config/schema.js';
import type { Frame } from '../domain/index.js';
import type { LoraSimulator } from './lora-forwarder.js';
import { type SimSink, serialLine } from './simulator.js';

/** Writes lines into one end of a serial line (a pty from socat, or a real adapter looped back). */
export function serialDeviceSink(path: string): SimSink {
  const fd = openSync(path, 'w');
  let i = 0;
  return {
    send(_node: NodeConfig, frame: Frame) {
      writeSync(fd, `${serialLine(frame, i++)}\r\n`);
    },
    async close() {
      closeSync(fd);
    },
  };
}

/** Hands the bytes straight to a function: the demo's in-process serial pair when socat is absent. */
export function inProcessSerialSink(write: (chunk: Buffer) => void): SimSink {
  let i = 0;
  return {
    send(_node: NodeConfig, frame: Frame) {
      // Deliver on a later tick, as a real port would, so the simulator never runs inside ingest.
      const chunk = Buffer.from(`${serialLine(frame, i++)}\r\n`, 'latin1');
      setImmediate(() => write(chunk));
    },
  };
}

export function loraSink(sim: LoraSimulator): SimSink {
  return {
    async send(_node: NodeConfig, frame: Frame) {
      await sim.send(frame);
    },
    close: () => sim.stop(),
  };
}

/** A Wi-Fi node on the local broker: publishes its frames on siaga/local/nodes/<id>/up. */
export async function mqttNodeSink(url: string, username: string, password: string): Promise<SimSink> {
  const client: MqttClient = await mqtt.connectAsync(url, {
    username,
    password,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    clientId: `sim-${username}-${process.pid}`,
  });
  let i = 0;
  return {
    async send(node: NodeConfig, frame: Frame) {
      await client.publishAsync(`siaga/local/nodes/${node.id}/up`, serialLine(frame, i++), { qos: 1 });
    },
    async close() {
      await client.endAsync();
    },
  };
}
