/**
 * The AWS resources cloudsweep works with, by role. The CDK stack creates them and exports them as
 * stack outputs; the Lambdas get them as environment variables; the CLI resolves them from flags or
 * `CLOUDSWEEP_*` variables, else the stack's outputs, else these defaults (SPEC section 9).
 */
export interface ResourceNames {
  inventoryTable: string;
  configTable: string;
  jobsTable: string;
  auditTable: string;
  /** Workflow runs and the lease that keeps two runs from interleaving. */
  runsTable: string;
  eventBus: string;
  /** Only in a deployed stack. */
  stateMachineArn?: string;
  planFunction?: string;
  schedulerRoleArn?: string;
  scheduleGroup?: string;
}

export type ResourceRole = keyof ResourceNames;

export const DEFAULT_RESOURCE_NAMES: ResourceNames = {
  inventoryTable: 'cloudsweep-inventory',
  configTable: 'cloudsweep-config',
  jobsTable: 'cloudsweep-jobs',
  auditTable: 'cloudsweep-audit',
  runsTable: 'cloudsweep-runs',
  eventBus: 'cloudsweep',
};

/** The environment variable and the stack output that name each resource. */
export const RESOURCE_BINDINGS: Record<ResourceRole, { env: string; output: string }> = {
  inventoryTable: { env: 'CLOUDSWEEP_INVENTORY_TABLE', output: 'InventoryTableName' },
  configTable: { env: 'CLOUDSWEEP_CONFIG_TABLE', output: 'ConfigTableName' },
  jobsTable: { env: 'CLOUDSWEEP_JOBS_TABLE', output: 'JobsTableName' },
  auditTable: { env: 'CLOUDSWEEP_AUDIT_TABLE', output: 'AuditTableName' },
  runsTable: { env: 'CLOUDSWEEP_RUNS_TABLE', output: 'RunsTableName' },
  eventBus: { env: 'CLOUDSWEEP_EVENT_BUS', output: 'EventBusName' },
  stateMachineArn: { env: 'CLOUDSWEEP_STATE_MACHINE_ARN', output: 'StateMachineArn' },
  planFunction: { env: 'CLOUDSWEEP_PLAN_FUNCTION', output: 'PlanFunctionName' },
  schedulerRoleArn: { env: 'CLOUDSWEEP_SCHEDULER_ROLE_ARN', output: 'SchedulerRoleArn' },
  scheduleGroup: { env: 'CLOUDSWEEP_SCHEDULE_GROUP', output: 'ScheduleGroupName' },
};

/** Names from `CLOUDSWEEP_*` variables over `base` (defaults, or a stack's outputs). */
export function resourceNamesFromEnv(
  env: NodeJS.ProcessEnv,
  base: ResourceNames = DEFAULT_RESOURCE_NAMES,
): ResourceNames {
  const names: ResourceNames = { ...base };
  for (const role of Object.keys(RESOURCE_BINDINGS) as ResourceRole[]) {
    const value = env[RESOURCE_BINDINGS[role].env];
    if (value) names[role] = value;
  }
  return names;
}

/** Names from a stack's outputs (`{OutputKey: OutputValue}`), defaults for what it lacks. */
export function resourceNamesFromOutputs(outputs: Record<string, string | undefined>): ResourceNames {
  const names: ResourceNames = { ...DEFAULT_RESOURCE_NAMES };
  for (const role of Object.keys(RESOURCE_BINDINGS) as ResourceRole[]) {
    const value = outputs[RESOURCE_BINDINGS[role].output];
    if (value) names[role] = value;
  }
  return names;
}
