/** The cleanup step's public face: what the Lambda, the in-process runner and the CLI call. */
export { drawCleanupPlan } from './plan';
export { runCleanup } from './run';
export type { CleanupProgress } from './run';
export type { CleanupRunSummary, CleanupPlan } from './summary';
export type { CleanupDeps, Clock, CleanupLogger } from './deps';
export { CleanupRefusedError, CleanupStoppedError } from './errors';
export type { AuditStore, AuditFilter } from './audit-store';
export { DynamoAuditStore } from './dynamo-audit-store';
export { MemoryAuditStore } from './memory-audit-store';
export type { AuditEntry, AuditAction, AuditResult } from './audit-entry';
export { DEFAULT_SAFETY_SETTINGS, safetySettingsFromEnv } from './safety-settings';
export type { SafetySettings, SafetyFlags } from './safety-settings';
