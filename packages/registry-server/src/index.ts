/** @kompart/registry-server: the Registry service and its server bootstrap. */
export { REGISTRY_DEFAULTS, type RegistryServerConfig, type RegistryServerDeps, type RegistryServerOptions } from './config.js';
export { createMemoryStore } from './memory-store.js';
export { RedisStore, redactedUrl, type RedisStoreOptions } from './redis-store.js';
export { PeerDirectory, heartbeatExpiryMs, type DirectoryEvent } from './peer-directory.js';
export { serverTexts } from './server-texts.js';
export { startRegistryServer, type RunningRegistry } from './server.js';
export type { PeerRecord, RegistryStore } from './store.js';
