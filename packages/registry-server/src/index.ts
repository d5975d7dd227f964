/** @kompart/registry-server: the Registry service and its server bootstrap. */
export { REGISTRY_DEFAULTS, withDefaults, type RegistryServerConfig, type RegistryServerDeps, type RegistryServerOptions } from './config.js';
export { createMemoryStore } from './memory-store.js';
export { PeerDirectory, heartbeatExpiryMs, type DirectoryEvent, type DirectoryOptions, type Presence, type Timers } from './peer-directory.js';
export { createRegistryService, type RegistryService } from './registry-service.js';
export { ListenError, startRegistryServer, type RunningRegistry } from './server.js';
export type { AddFileResult, FileRecord, ListFilter, ListPage, PeerRecord, RegistryStore } from './store.js';
