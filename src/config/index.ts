/**
 * config: reads and checks the environment once at start. Everything else receives a
 * `Config` object and never reads process.env itself.
 */
export { loadConfig, ConfigError, DEV_KEY_ENCRYPTION_SECRET, type Config } from './load-config.js';
