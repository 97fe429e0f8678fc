/** The cleanup step's public face: what the Lambda, the in-process runner and the CLI call. */
export { drawCleanupPlan, runCleanup, CleanupRefusedError, CleanupStoppedError } from './run';
export type { CleanupProgress, CleanupRunSummary, CleanupPlan, CleanupDeps, Clock, CleanupLogger } from './run';
export type { AuditStore, AuditFilter, AuditEntry, AuditAction, AuditResult } from './audit';
export { DynamoAuditStore } from './dynamo-audit-store';
export { DEFAULT_SAFETY_SETTINGS, safetySettingsFromEnv } from './policy';
export type { SafetySettings, SafetyFlags } from './policy';
