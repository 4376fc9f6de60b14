/**
 * pm2: `npm run pm2-start`. PM2_INSTANCES (default 1) sets the cluster size; more than one needs Redis
 * (REDIS_URL or REDIS_HOST) and JWT_SECRET so that the processes share the cache, Socket.IO rooms and tokens.
 * The same .env the server reads is read here, so the check below sees what the processes will see.
 */
require('dotenv').config({ quiet: true });

const instances = Number(process.env.PM2_INSTANCES || 1);
if (!Number.isInteger(instances) || instances < 1) {
  throw new Error(`PM2_INSTANCES must be a whole number of processes, got "${process.env.PM2_INSTANCES}"`);
}
if (instances > 1 && !process.env.REDIS_URL && !process.env.REDIS_HOST) {
  throw new Error(`PM2_INSTANCES=${instances} needs Redis (REDIS_URL or REDIS_HOST): the processes must share the cache and Socket.IO rooms`);
}
if (instances > 1 && !process.env.JWT_SECRET) {
  throw new Error(`PM2_INSTANCES=${instances} needs JWT_SECRET: every process must accept the tokens the others sign`);
}

module.exports = {
  apps: [
    {
      name: 'live-chat',
      script: 'dist/bin/www.js',
      exec_mode: 'cluster',
      instances,
      // `pm2 reload` starts a new process, waits for its 'ready' (sent once the database and Redis answer),
      // and only then stops an old one: at any moment some process is serving.
      wait_ready: true,
      listen_timeout: 30000,
      // The server drains for up to 8 s, then stops hard at 10 s (bin/www.ts); pm2 must not kill it sooner.
      kill_timeout: 12000,
      max_memory_restart: '1G',
      env: { NODE_ENV: 'production', CLUSTER_INSTANCES: String(instances) },
    },
  ],
};
