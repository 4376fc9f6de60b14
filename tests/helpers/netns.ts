import { execFile, execFileSync } from 'node:child_process';

/**
 * Several hosts on one machine: network namespaces, each with its own address on a bridge of the test's own,
 * made and removed by the test (Debian's iproute2; needs root, as CI has). The machine itself is 10.X.Y.1 on
 * the bridge, host i is 10.X.Y.(10 + i); X and Y come from the process id, so two runs at once never meet.
 */

export interface TestHost {
  /** The namespace's name: `ip netns exec <name> …` runs a command on this host. */
  name: string;
  address: string;
}

export interface TestNetwork {
  /** The machine's own address on the bridge, where the hosts reach what runs outside them. */
  machineAddress: string;
  hosts: TestHost[];
  /** Deletes the namespaces (their ends of the links go with them) and the bridge. */
  remove(): Promise<void>;
}

const ip = (args: string[]): Promise<void> =>
  new Promise((resolve, reject) => {
    execFile('ip', args, (error, _stdout, stderr) => (error ? reject(new Error(`ip ${args.join(' ')}: ${stderr || error.message}`)) : resolve()));
  });

/** Why hosts cannot be made here, or null when they can (tried once, at load: a namespace made and deleted). */
export function networkNamespacesUnavailable(): string | null {
  const probe = `chatprobe${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
    return null;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return stderr || (error as Error).message;
  }
}

export async function createNetwork(count: number): Promise<TestNetwork> {
  const tag = process.pid % 100_000;
  const subnet = `10.${100 + (process.pid % 100)}.${Math.floor(process.pid / 100) % 250}`;
  const bridge = `chbr${tag}`;
  const machineAddress = `${subnet}.1`;
  const hosts: TestHost[] = Array.from({ length: count }, (_, i) => ({ name: `chat${tag}h${i}`, address: `${subnet}.${10 + i}` }));
  const remove = async (): Promise<void> => {
    for (const host of hosts) await ip(['netns', 'del', host.name]).catch(() => undefined);
    await ip(['link', 'del', bridge]).catch(() => undefined);
  };
  try {
    await ip(['link', 'add', bridge, 'type', 'bridge']);
    await ip(['addr', 'add', `${machineAddress}/24`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);
    for (const [i, host] of hosts.entries()) {
      const outside = `chv${tag}o${i}`;
      const inside = `chv${tag}i${i}`;
      await ip(['netns', 'add', host.name]);
      await ip(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      await ip(['link', 'set', inside, 'netns', host.name]);
      await ip(['link', 'set', outside, 'master', bridge]);
      await ip(['link', 'set', outside, 'up']);
      await ip(['-n', host.name, 'addr', 'add', `${host.address}/24`, 'dev', inside]);
      await ip(['-n', host.name, 'link', 'set', inside, 'up']);
      await ip(['-n', host.name, 'link', 'set', 'lo', 'up']);
      await ip(['-n', host.name, 'route', 'add', 'default', 'via', machineAddress]);
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { machineAddress, hosts, remove };
}
