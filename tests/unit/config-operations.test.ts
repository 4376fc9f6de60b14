import { loadConfig } from '../../config';
import { problemsOf } from '../helpers/configProblems';

/** The operations settings: webhooks, /metrics access, the cluster size. */

describe('webhook and metrics settings', () => {
  it('are off by default: no webhooks, /metrics open', () => {
    const config = loadConfig({});
    expect(config.webhook).toBeNull();
    expect(config.metricsToken).toBeUndefined();
  });

  it('WEBHOOK_URL with WEBHOOK_SECRET turns webhooks on, with the documented defaults', () => {
    const config = loadConfig({ WEBHOOK_URL: 'https://hooks.example.com/chat', WEBHOOK_SECRET: 's3cret' });
    expect(config.webhook).toEqual({ url: 'https://hooks.example.com/chat', secret: 's3cret', timeoutMs: 5000, maxAttempts: 6, retryBaseMs: 1000 });
  });

  it('reads the webhook knobs and METRICS_TOKEN', () => {
    const config = loadConfig({
      WEBHOOK_URL: 'http://127.0.0.1:9000/hooks',
      WEBHOOK_SECRET: 's3cret',
      WEBHOOK_TIMEOUT_MS: '2500',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_RETRY_BASE_MS: '250',
      METRICS_TOKEN: 'scrape-me',
    });
    expect(config.webhook).toMatchObject({ timeoutMs: 2500, maxAttempts: 3, retryBaseMs: 250 });
    expect(config.metricsToken).toBe('scrape-me');
  });

  it('refuses a WEBHOOK_URL that is not http(s), without echoing it (it may hold credentials)', () => {
    for (const url of ['ftp://user:pw@example.com/x', 'not a url', 'hooks.example.com/chat']) {
      const problems = problemsOf({ WEBHOOK_URL: url, WEBHOOK_SECRET: 's3cret' });
      expect(problems).toEqual([expect.stringContaining('WEBHOOK_URL')]);
      expect(problems[0]).not.toContain(url);
    }
  });

  it('asks for WEBHOOK_SECRET when WEBHOOK_URL is set (every delivery is signed)', () => {
    expect(problemsOf({ WEBHOOK_URL: 'https://hooks.example.com/chat' })).toEqual([expect.stringContaining('WEBHOOK_SECRET')]);
  });

  it('refuses out-of-range webhook knobs, one line each', () => {
    const problems = problemsOf({ WEBHOOK_TIMEOUT_MS: '10', WEBHOOK_MAX_ATTEMPTS: '0', WEBHOOK_RETRY_BASE_MS: 'soon' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/WEBHOOK_TIMEOUT_MS[\s\S]*WEBHOOK_MAX_ATTEMPTS[\s\S]*WEBHOOK_RETRY_BASE_MS/);
  });
});

describe('cluster settings', () => {
  it('one process by default', () => {
    expect(loadConfig({}).clusterInstances).toBe(1);
  });

  it('refuses several processes without Redis or a shared JWT_SECRET, saying why', () => {
    expect(problemsOf({ CLUSTER_INSTANCES: '2' })).toEqual([
      'CLUSTER_INSTANCES=2 needs Redis (REDIS_URL or REDIS_HOST): the processes must share the cache and Socket.IO rooms',
      'CLUSTER_INSTANCES=2 needs JWT_SECRET: every process must accept the tokens the others sign',
    ]);
    const config = loadConfig({ CLUSTER_INSTANCES: '2', REDIS_URL: 'redis://127.0.0.1:6379', JWT_SECRET: 'x'.repeat(32) });
    expect(config.clusterInstances).toBe(2);
  });
});
