import { mysqlReachable, redisReachable } from './helpers/realBackends';
import { buildWeb, webBuildIsStale } from '../scripts/buildWeb';

/**
 * Decides once per run whether the MariaDB + Redis suites run. Workers inherit the environment set here.
 * With REQUIRE_REAL_BACKENDS=1 (CI) an unreachable one fails the run instead of being skipped.
 */
export default async function globalSetup(): Promise<void> {
  // The browser suites load the built pages (dist/public): build them once here, not in parallel workers.
  if (await webBuildIsStale()) await buildWeb();
  const [mysqlUp, redisUp] = await Promise.all([mysqlReachable(), redisReachable()]);
  process.env.TEST_MYSQL_AVAILABLE = mysqlUp ? '1' : '0';
  process.env.TEST_REDIS_AVAILABLE = redisUp ? '1' : '0';
  const missing = [...(mysqlUp ? [] : ['MariaDB/MySQL']), ...(redisUp ? [] : ['Redis'])];
  if (missing.length === 0) return;
  if (process.env.REQUIRE_REAL_BACKENDS === '1') {
    throw new Error(`REQUIRE_REAL_BACKENDS=1 but ${missing.join(' and ')} not reachable`);
  }
  process.stderr.write(`\n[tests] ${missing.join(' and ')} not reachable: those suites are skipped\n`);
}
