/** Limits and defaults shared by the registry and the peers. Every one is documented in
 * the .proto files or the README; the configurable ones are defaults, not hard caps. */

/** Port the registry listens on when `<server ip>` carries none. */
export const DEFAULT_REGISTRY_PORT = 50051;
/** Port a peer's FileService listens on when `<host ip>` carries none. */
export const DEFAULT_PEER_PORT = 50052;

/** Longest accepted peer address (`host[:port]`), in characters. */
export const MAX_ADDRESS_LENGTH = 255;
/** Longest accepted registered path, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096;
/** Largest file size a registration may declare (2^53 - 1: exact in a JS number). */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** Longest accepted file reference after `IP/` in `get file`. */
export const MAX_FILE_REF_LENGTH = MAX_PATH_BYTES;
/**
 * Longest download ticket a holder looks at, in bytes: claims with a path of MAX_PATH_BYTES
 * and a signature fit well within it; anything longer is refused before it is decoded.
 */
export const MAX_TICKET_BYTES = 8192;
/** Shortest hash prefix accepted as a file reference. */
export const MIN_HASH_PREFIX = 8;

/** ListFiles page size when the request asks for 0. */
export const DEFAULT_PAGE_SIZE = 1000;
/** Largest ListFiles page (larger requests are lowered to it). */
export const MAX_PAGE_SIZE = 10_000;

/** Heartbeat defaults: a beat every 5 s; two missed beats remove the peer. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;
export const DEFAULT_HEARTBEAT_MISSES = 2;

/** Default number of files one peer may register (configurable on the registry). */
export const DEFAULT_MAX_FILES_PER_PEER = 1_000_000;

/** Largest gRPC message either side accepts (a 10 000-entry ListFiles page fits easily). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Metadata key carrying the session token (`Bearer <token>`). */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

/**
 * Metadata key of a Heartbeat stream's attempt: 1 for the first stream of a session, one
 * more for each stream the peer opens to resume it (see Registry.Heartbeat).
 */
export const STREAM_ATTEMPT_METADATA_KEY = 'kompart-stream-attempt';

/**
 * Metadata key a Heartbeat stream is opened with, value `1`, by a peer that takes several
 * events in one message (HeartbeatResponse.events; see Registry.Heartbeat).
 */
export const EVENT_BATCHES_METADATA_KEY = 'kompart-event-batches';

/** Domain of every google.rpc.ErrorInfo kompart sends. */
export const ERROR_DOMAIN = 'kompart.v1';

/** Smallest piece size of a file's piece hashes (RegisterFileRequest.piece_size): 256 KiB. */
export const MIN_PIECE_BYTES = 256 * 1024;
/** Largest piece size: 4 MiB. */
export const MAX_PIECE_BYTES = 4 * 1024 * 1024;
/** Holders LocateHolders answers when the request says 0, and at most. */
export const DEFAULT_HOLDERS = 8;
export const MAX_HOLDERS = 64;
