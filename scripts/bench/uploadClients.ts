import { uploadPhoto, type UploadCustomer } from './uploadPhoto';

/**
 * bench:attachments' upload clients, in a process of their own: 50 uploads at once keep an event loop busy, and
 * the text clients' latencies must not include that (they are measured in the parent). Told what to do over
 * IPC, answers with each upload's latency and the failures.
 */
export interface UploadOrder {
  base: string;
  customers: UploadCustomer[];
  /** The image, base64 (IPC carries JSON). */
  image: string;
  seconds: number;
}

export interface UploadReport {
  latencies: number[];
  failures: Record<string, number>;
  seconds: number;
}

async function uploadLoop(base: string, customer: UploadCustomer, image: Buffer, until: number, report: UploadReport): Promise<void> {
  for (let n = 0; performance.now() < until; n++) {
    const started = performance.now();
    try {
      const status = await uploadPhoto(base, customer, image, `u-${customer.sessionId.slice(0, 8)}-${n}`);
      if (status === 201) report.latencies.push(performance.now() - started);
      else report.failures[String(status)] = (report.failures[String(status)] ?? 0) + 1;
    } catch (error) {
      const name = error instanceof Error ? error.message : String(error);
      report.failures[name] = (report.failures[name] ?? 0) + 1;
    }
  }
}

process.once('message', (order: UploadOrder) => {
  const image = Buffer.from(order.image, 'base64');
  const report: UploadReport = { latencies: [], failures: {}, seconds: 0 };
  const started = performance.now();
  const until = started + order.seconds * 1000;
  void Promise.all(order.customers.map((customer) => uploadLoop(order.base, customer, image, until, report))).then(() => {
    report.seconds = (performance.now() - started) / 1000;
    process.send?.(report, () => process.exit(0));
  });
});
