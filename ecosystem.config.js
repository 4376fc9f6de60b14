/**
 * pm2: `npm run pm2-start`. PM2_INSTANCES (default 1) sets the cluster size; more than one needs Redis
 * (REDIS_URL or REDIS_HOST) so that the processes share the cache and Socket.IO rooms.
 */
module.exports = {
  apps: [
    {
      name: 'live-chat',
      script: 'dist/bin/www.js',
      exec_mode: 'cluster',
      instances: Number(process.env.PM2_INSTANCES || 1),
      kill_timeout: 12000,
      max_memory_restart: '1G',
      env: { NODE_ENV: 'production' },
    },
  ],
};
