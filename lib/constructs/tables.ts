import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface TablesProps {
  /** For inventory and runs, which a collect rebuilds; jobs, config and audit are always retained. */
  removalPolicy: RemovalPolicy;
}

/**
 * The five tables, all `pk`/`sk` strings, on demand, with point-in-time recovery. Item layout
 * inside each belongs to the module that owns it (src/inventory, src/config, src/jobs, ...).
 */
export class Tables extends Construct {
  readonly inventory: dynamodb.Table;
  readonly config: dynamodb.Table;
  readonly jobs: dynamodb.Table;
  readonly audit: dynamodb.Table;
  readonly runs: dynamodb.Table;

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);
    this.inventory = this.table('Inventory', props.removalPolicy);
    // Retained with the stack and protected from deletion: what cloudsweep did and may do is never lost by accident.
    this.config = this.table('Config', RemovalPolicy.RETAIN, undefined, true);
    this.jobs = this.table('Jobs', RemovalPolicy.RETAIN, undefined, true);
    this.audit = this.table('Audit', RemovalPolicy.RETAIN, undefined, true);
    // A collect's batches and per-account results expire there after 30 days (`expires_at`).
    this.runs = this.table('Runs', props.removalPolicy, 'expires_at');
  }

  private table(id: string, removalPolicy: RemovalPolicy, timeToLiveAttribute?: string, deletionProtection = false): dynamodb.Table {
    return new dynamodb.Table(this, id, {
      ...(deletionProtection ? { deletionProtection } : {}),
      ...(timeToLiveAttribute ? { timeToLiveAttribute } : {}),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });
  }
}
