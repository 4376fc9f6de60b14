import type { ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuMs, openLoop, sleep } from '../harness';
import type { LightSocket } from '../lightSocket';
import { CONTENT, DRAIN_TIMEOUT } from './config';
import { bench } from './run';

/** bench:realtime scenario 2, one run: messages at a fixed rate (open loop), each timed to its ack and its delivery. */

export interface Rig {
  server: string;
  child: ChildProcess;
  customers: LightSocket[];
  /** Each customer socket's session. */
  sessionOf: string[];
  operators: LightSocket[];
  /** Told of every `message:new` an operator socket receives. */
  onDelivered: (message: { clientMessageId?: string }) => void;
}

export interface Sample {
  t0: number;
  ack: number;
  delivered: number;
  ok: boolean;
  id: number;
  sessionId: string;
}

export interface RunResult {
  server: string;
  label: string;
  offered: number;
  seconds: number;
  sent: number;
  acked: number;
  errors: Map<string, number>;
  delivered: number;
  /** Delivered within the sending window, per second: the sustained rate under this offer. */
  deliveredPerSecond: number;
  /** Every delivery ÷ the time from the first emit to the last delivery (backlog included): the processing rate. */
  completedPerSecond: number;
  ackPerSecond: number;
  ack: number[];
  deliver: number[];
  unanswered: number;
  undelivered: number;
  serverCpuPerMessage: number;
  generatorCpuPerMessage: number;
  generatorLagP99: number;
}

/** Every acknowledged message of our server, for the database check: clientMessageId → sample. */
export const ourAcked = new Map<string, Sample>();
/** Every clientMessageId this run sends starts with it (the database check finds the run's rows by it). */
export const ackedKeyPrefix = `rt-${bench.suffix}-`;
let sequence = 0;

export async function runAtRate(rig: Rig, label: string, rate: number, seconds: number, keep: Map<string, Sample> | null): Promise<RunResult> {
  const samples = new Map<string, Sample>();
  const errors = new Map<string, number>();
  let acked = 0;
  let answered = 0;
  let delivered = 0;
  rig.onDelivered = (message) => {
    const sample = message.clientMessageId === undefined ? undefined : samples.get(message.clientMessageId);
    if (sample && sample.delivered === 0) {
      sample.delivered = performance.now();
      delivered++;
    }
  };
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const cpuBefore = await cpuMs(rig.child);
  const ownCpuBefore = process.cpuUsage();

  const start = performance.now();
  const windowMs = seconds * 1000;
  let sent = 0;
  // Latencies from when each message was due, so a lagging load generator shows in them rather than hiding.
  await openLoop(rate, seconds, (index, scheduledAt) => {
    const customer = index % rig.customers.length;
    const clientMessageId = `${ackedKeyPrefix}${++sequence}`;
    const sample: Sample = { t0: scheduledAt, ack: 0, delivered: 0, ok: false, id: 0, sessionId: rig.sessionOf[customer] as string };
    samples.set(clientMessageId, sample);
    (rig.customers[customer] as LightSocket).emit('message:send', { content: CONTENT, clientMessageId }, (answer) => {
      const reply = answer as { ok?: boolean; data?: { id: number }; error?: { code: string } } | null;
      sample.ack = performance.now();
      answered++;
      if (reply?.ok) {
        sample.ok = true;
        sample.id = reply.data?.id ?? 0;
        acked++;
        keep?.set(clientMessageId, sample);
      } else {
        const code = reply?.error?.code ?? 'malformed ack';
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    });
    sent++;
  });
  const end = start + windowMs;
  // Wait for the backlog: every ack, and a delivery for every stored message.
  const deadline = performance.now() + DRAIN_TIMEOUT * 1000;
  while ((answered < sent || delivered < acked) && performance.now() < deadline) await sleep(20);
  lag.disable();
  const serverCpu = (await cpuMs(rig.child)) - cpuBefore;
  const ownCpu = process.cpuUsage(ownCpuBefore);

  const ack: number[] = [];
  const deliver: number[] = [];
  let deliveredInWindow = 0;
  let ackedInWindow = 0;
  let lastDelivery = start;
  for (const sample of samples.values()) {
    lastDelivery = Math.max(lastDelivery, sample.delivered);
    if (sample.ok) {
      ack.push(sample.ack - sample.t0);
      if (sample.ack <= end) ackedInWindow++;
    }
    if (sample.delivered > 0) {
      deliver.push(sample.delivered - sample.t0);
      if (sample.delivered <= end) deliveredInWindow++;
    }
  }
  ack.sort((a, b) => a - b);
  deliver.sort((a, b) => a - b);
  return {
    server: rig.server,
    label,
    offered: rate,
    seconds,
    sent,
    acked,
    errors,
    delivered,
    deliveredPerSecond: deliveredInWindow / seconds,
    completedPerSecond: delivered / Math.max((lastDelivery - start) / 1000, seconds),
    ackPerSecond: ackedInWindow / seconds,
    ack,
    deliver,
    unanswered: sent - answered,
    undelivered: acked - delivered,
    serverCpuPerMessage: serverCpu / Math.max(sent, 1),
    generatorCpuPerMessage: (ownCpu.user + ownCpu.system) / 1000 / Math.max(sent, 1),
    generatorLagP99: lag.percentile(99) / 1e6,
  };
}
