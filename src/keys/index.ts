/**
 * keys: the server's signing keys. Generated on first start, stored in MongoDB with the
 * private half wrapped (AES-256-GCM) under KEY_ENCRYPTION_SECRET, rotated without
 * unpublishing the keys that signed tokens still in circulation: by hand, or on schedule
 * (KEY_ROTATION_DAYS) once across all instances, retired keys removed when their tokens are gone.
 */
export { SigningKeys, KeyError, KeyStillSigning, type SigningKeySet } from './signing-keys.js';
export type { WrappedSecret } from './key-wrap.js';
export { RotationSchedule, type KeyRemovalPlan, type LongestLifetime, type TickResult } from './rotation-schedule.js';
export { startRotationTask } from './rotation-task.js';
