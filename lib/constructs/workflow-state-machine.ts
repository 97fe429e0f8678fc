import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EVENT_SOURCE, WORKFLOW_FAILED } from '../../src/events/contracts';
import { incompleteError, StepAction, WORKFLOW_NAMES, WORKFLOW_STEPS, WORKFLOWS, WorkflowEvent, WorkflowStep } from '../../src/workflow/declaration';
import { ExecutionEndedInput, UNFINISHED_EXECUTION_STATUSES } from '../../src/workflow/step-payloads';
import { EXECUTION_LEASE_RETRY } from '../../src/workflow/lease';

export interface WorkflowStateMachineProps {
  collect: lambda.IFunction;
  plan: lambda.IFunction;
  cleanup: lambda.IFunction;
  eventBus: events.IEventBus;
  /** Batches of accounts collected at once by the Map state. */
  mapMaxConcurrency: number;
  timeout: Duration;
  logRetention: logs.RetentionDays;
}

/** Transient Lambda service errors: retried; an error the handler throws is not (it would throw again). */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/** Where the state data keeps each action's result; `post_*` events publish it as their summary. */
const SUMMARY_PATH: Record<StepAction, string> = {
  collect: '$.summaries.collect',
  plan: '$.summaries.plan',
  cleanup: '$.summaries.cleanup',
};

/** Where a failure happened besides the steps: taking or giving up the lease. */
type FailedStep = WorkflowEvent | 'acquire_lease' | 'release_lease';

/**
 * The state machine, generated from the workflow declaration (src/workflow/declaration.ts): one
 * chain of steps in WORKFLOW_STEPS order, entered at the requested workflow's first event and left
 * after its last. At each step: publish the event and run the jobs subscribed to it (one
 * invocation of plan), do the action.
 * Around the steps, the lease the in-process runner also takes (src/workflow/lease.ts): acquired
 * before the first step, released after the last and on the failure path (and, for an execution
 * stopped or timed out, by a rule on its end), so two runs, deployed or in-process, never interleave.
 * State data: `{workflow, run_id, lease, summaries: {collect?, plan?, cleanup?}, collect?: {accounts, batches}, jobs?, error?}`.
 */
export class WorkflowStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** Gives back the lease of an execution that ended without its own release. */
  readonly endedExecutions: events.Rule;

  constructor(scope: Construct, id: string, private readonly props: WorkflowStateMachineProps) {
    super(scope, id);

    const failure = this.failurePath();
    // Every way out of the steps that succeeds gives the lease up first.
    const finish = this.guard(
      this.invoke('Release lease', props.plan, { payload: { action: 'release_lease', ...this.runRef() }, resultPath: sfn.JsonPath.DISCARD }),
      failure('release_lease'),
    );
    finish.next(new sfn.Succeed(this, 'Done'));

    // Build the steps back to front so each knows where it goes next.
    const entries = new Map<WorkflowEvent, sfn.IChainable>();
    let next: sfn.IChainable = finish;
    for (let at = WORKFLOW_STEPS.length - 1; at >= 0; at--) {
      const step = WORKFLOW_STEPS[at] as WorkflowStep;
      const leaving = WORKFLOW_NAMES.filter((name) => WORKFLOWS[name].last === step.event);
      const after =
        leaving.length > 0 && next !== finish
          ? leaving
              .reduce(
                (choice, name) => choice.when(sfn.Condition.stringEquals('$.workflow', name), finish),
                new sfn.Choice(this, `After ${step.event}`),
              )
              .otherwise(next)
          : next;
      const entry = this.step(step, after, failure(step.event));
      entries.set(step.event, entry);
      next = entry;
    }

    // An unknown workflow fails before the lease is taken; a known one takes it, then enters its first step.
    const unknown = new sfn.Fail(this, 'Unknown workflow', {
      error: 'UnknownWorkflow',
      cause: `The execution input must be {"workflow": NAME} with NAME one of ${WORKFLOW_NAMES.join(', ')}`,
    });
    const enter = new sfn.Choice(this, 'Enter workflow', { comment: 'With the lease held, enter the first step of the workflow.' });
    for (const name of WORKFLOW_NAMES) {
      const entry = entries.get(WORKFLOWS[name].first);
      if (!entry) throw new Error(`workflow ${name} starts at ${WORKFLOWS[name].first}, which no step declares`);
      enter.when(sfn.Condition.stringEquals('$.workflow', name), entry);
    }
    enter.otherwise(unknown);
    const acquire = this.acquireLease(failure('acquire_lease')).next(enter);

    const choose = new sfn.Choice(this, 'Choose workflow', { comment: 'The input {"workflow": NAME} picks the workflow.' });
    for (const name of WORKFLOW_NAMES) {
      const start = new sfn.Pass(this, `Start ${name}`, {
        parameters: { workflow: name, run_id: sfn.JsonPath.executionName, summaries: {} },
      });
      choose.when(sfn.Condition.and(sfn.Condition.isPresent('$.workflow'), sfn.Condition.stringEquals('$.workflow', name)), start.next(acquire));
    }
    choose.otherwise(unknown);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'cloudsweep workflows: collect_and_cleanup, collect, cleanup',
      definitionBody: sfn.DefinitionBody.fromChainable(choose),
      timeout: props.timeout,
      tracingEnabled: true,
      // Errors only, without execution data: states carry account ids and run summaries, not worth keeping twice.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    this.endedExecutions = this.releaseLeaseOfEndedExecutions();
  }

  /**
   * An execution that is stopped, times out, or fails outside a Catch never reaches a `Release
   * lease` state, so its lease would stand for its whole lifetime (the workflow timeout) and refuse
   * every run until then. Step Functions reports the end on the default event bus; this rule hands
   * it to plan, which releases the lease if that execution still holds it (src/workflow/lease.ts).
   */
  private releaseLeaseOfEndedExecutions(): events.Rule {
    const input: Record<keyof ExecutionEndedInput, string> = {
      action: 'execution_ended',
      run_id: events.EventField.fromPath('$.detail.name'),
      status: events.EventField.fromPath('$.detail.status'),
    };
    return new events.Rule(this, 'EndedExecutions', {
      description: 'cloudsweep: releases the workflow lease of an execution that ended without releasing it',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: [...UNFINISHED_EXECUTION_STATUSES] },
      },
      targets: [new eventTargets.LambdaFunction(this.props.plan, { event: events.RuleTargetInput.fromObject(input), retryAttempts: 20, maxEventAge: Duration.hours(2) })],
    });
  }

  /**
   * Takes the lease for this execution, for as long as the execution may run (it cannot renew it).
   * While another run holds it, the function throws LeaseBusyError and the execution retries for
   * about ten minutes (EXECUTION_LEASE_RETRY); then it takes the failure path, naming the holder.
   */
  private acquireLease(onError: sfn.IChainable): tasks.LambdaInvoke {
    const acquire = this.invoke('Acquire lease', this.props.plan, {
      payload: { action: 'acquire_lease', ...this.runRef(), ttl_seconds: this.props.timeout.toSeconds() },
      resultPath: '$.lease',
    });
    acquire.addRetry({
      errors: ['LeaseBusyError'],
      interval: Duration.seconds(EXECUTION_LEASE_RETRY.intervalSeconds),
      backoffRate: EXECUTION_LEASE_RETRY.backoffRate,
      maxDelay: Duration.seconds(EXECUTION_LEASE_RETRY.maxDelaySeconds),
      maxAttempts: EXECUTION_LEASE_RETRY.maxAttempts,
      jitterStrategy: sfn.JitterType.NONE,
    });
    return this.guard(acquire, onError);
  }

  /**
   * One step: `Publish <event>` (plan publishes the event with its summary, then runs the event's
   * jobs: one state, as Standard workflows bill per transition), then its action; returns the
   * step's first state.
   */
  private step(step: WorkflowStep, next: sfn.IChainable, onError: sfn.IChainable): sfn.IChainable {
    const publishAndRunJobs = this.invoke(`Publish ${step.event}`, this.props.plan, {
      payload: { action: 'run_jobs', ...this.runRef(), event: step.event, summary: step.reports ? sfn.JsonPath.objectAt(SUMMARY_PATH[step.reports]) : {} },
      resultPath: `$.jobs.${step.event}`,
    });
    const afterJobs = step.action ? this.action(step, step.action, onError, next) : this.failWhenIncomplete(step, next, onError);
    return sfn.Chain.start(this.guard(publishAndRunJobs, onError)).next(afterJobs);
  }

  /**
   * After a step that fails when its reported summary is incomplete (post_cleanup): the event is
   * published and its jobs ran with the summary, then the execution takes the failure path, so the
   * failed-execution alarm sees a cleanup that could not enter an account.
   */
  private failWhenIncomplete(step: WorkflowStep, next: sfn.IChainable, onError: sfn.IChainable): sfn.IChainable {
    const error = incompleteError(step);
    if (error === undefined || !step.reports) return next;
    const incomplete = `${SUMMARY_PATH[step.reports]}.incomplete`;
    const fail = new sfn.Pass(this, `${step.event} incomplete`, {
      parameters: { Error: error, Cause: sfn.JsonPath.stringAt(incomplete) },
      resultPath: '$.error',
    }).next(onError);
    return new sfn.Choice(this, `Complete at ${step.event}?`).when(sfn.Condition.isPresent(incomplete), fail).otherwise(next);
  }

  /** The step's action, followed by `next`. */
  private action(step: WorkflowStep, action: StepAction, onError: sfn.IChainable, next: sfn.IChainable): sfn.IChainable {
    switch (action) {
      case 'collect':
        return this.collect(onError).next(next);
      case 'plan':
        return this.guard(
          this.invoke('Draw cleanup plan', this.props.plan, { payload: { action: 'plan', ...this.runRef() }, resultPath: SUMMARY_PATH.plan }),
          onError,
        ).next(next);
      case 'cleanup':
        return this.cleanup(step, onError, next);
    }
  }

  /**
   * Cleanup, invoked again while it reports keys remaining (it stops before its Lambda's time runs
   * out), at most `repeatWhileRemaining` times; each invocation gets the run's summary so far and
   * returns it with its own work added. A run the circuit breaker refuses publishes cleanup_refused
   * itself and fails the function (CleanupRefusedError), so it takes the catch path like any failure.
   */
  private cleanup(step: WorkflowStep, onError: sfn.IChainable, next: sfn.IChainable): sfn.IChainable {
    const summary = SUMMARY_PATH.cleanup;
    const prepare = new sfn.Pass(this, 'Prepare cleanup', { result: sfn.Result.fromObject({}), resultPath: summary });
    const clean = this.guard(
      this.invoke('Clean up', this.props.cleanup, {
        payload: { action: 'cleanup', ...this.runRef(), previous: sfn.JsonPath.objectAt(summary) },
        resultPath: summary,
      }),
      onError,
    );
    const again = new sfn.Choice(this, 'More to clean up?')
      .when(
        sfn.Condition.and(
          sfn.Condition.numberGreaterThan(`${summary}.remaining`, 0),
          sfn.Condition.numberLessThan(`${summary}.invocations`, step.repeatWhileRemaining ?? 1),
        ),
        clean,
      )
      .otherwise(next);
    return sfn.Chain.start(prepare).next(clean).next(again);
  }

  /**
   * list_accounts, then collect_batch for each batch of accounts in a Map, then summarize. The
   * accounts and their results stay in the runs table (src/collect/run-store.ts): the state holds
   * batch numbers and the summary's counts, so it stays far below Step Functions' 256 KB at 5,000
   * accounts, and 200 iterations (25 accounts each) stay far below the 25,000 history events.
   */
  private collect(onError: sfn.IChainable): sfn.Chain {
    const listAccounts = this.invoke('List accounts', this.props.collect, {
      payload: { action: 'list_accounts', ...this.runRef() },
      resultPath: '$.collect',
    });

    // One failing batch must not stop the others (SPEC 8): summarize counts its accounts, which
    // have no result, as failed; the error itself is in the execution history.
    // No payload: the item selected for this batch is the event as it is.
    const collectBatch = this.invoke('Collect batch', this.props.collect, {});
    collectBatch.addCatch(new sfn.Pass(this, 'Batch failed', { parameters: { batch: sfn.JsonPath.numberAt('$.batch'), failed: true } }), {
      resultPath: '$.error',
    });
    const eachBatch = new sfn.Map(this, 'Collect accounts', {
      itemsPath: '$.collect.batches',
      itemSelector: {
        action: 'collect_batch',
        workflow: sfn.JsonPath.stringAt('$.workflow'),
        run_id: sfn.JsonPath.stringAt('$.run_id'),
        batch: sfn.JsonPath.numberAt('$$.Map.Item.Value'),
      },
      maxConcurrency: this.props.mapMaxConcurrency,
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(collectBatch);

    const summarize = this.invoke('Summarize collect', this.props.collect, {
      payload: { action: 'summarize', ...this.runRef() },
      resultPath: SUMMARY_PATH.collect,
    });
    return sfn.Chain.start(this.guard(listAccounts, onError)).next(this.guard(eachBatch, onError)).next(this.guard(summarize, onError));
  }

  /**
   * The catch path, one entry per step so the failure event names the step: publish
   * `workflow_failed` with `{step, error, cause}`, release the lease, then fail the execution with
   * the original error (the alarm sees it).
   */
  private failurePath(): (step: FailedStep) => sfn.IChainable {
    const failed = new sfn.Fail(this, 'Workflow failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const publish = this.publish(`Publish ${WORKFLOW_FAILED}`, WORKFLOW_FAILED, {
      step: sfn.JsonPath.stringAt('$.failed_step'),
      error: sfn.JsonPath.stringAt('$.error.Error'),
      cause: sfn.JsonPath.stringAt('$.error.Cause'),
    });
    // Releasing only if ours, so it is also right after a failed acquire. Failing to publish or to
    // release must still fail the execution with the original error: their errors go aside.
    const release = this.invoke('Release lease after failure', this.props.plan, {
      payload: { action: 'release_lease', ...this.runRef() },
      resultPath: sfn.JsonPath.DISCARD,
    });
    publish.addCatch(release, { resultPath: '$.publish_error' });
    publish.next(release);
    release.addCatch(failed, { resultPath: '$.release_error' });
    release.next(failed);
    const entries = new Map<FailedStep, sfn.IChainable>();
    return (event) => {
      let entry = entries.get(event);
      if (!entry) {
        entry = new sfn.Pass(this, `Failed during ${event}`, { result: sfn.Result.fromString(event), resultPath: '$.failed_step' }).next(publish);
        entries.set(event, entry);
      }
      return entry;
    };
  }

  private publish(id: string, detailType: string, summary: unknown): tasks.EventBridgePutEvents {
    const task = new tasks.EventBridgePutEvents(this, id, {
      entries: [
        {
          eventBus: this.props.eventBus,
          source: EVENT_SOURCE,
          detailType,
          detail: sfn.TaskInput.fromObject({ ...this.runRef(), summary }),
        },
      ],
      resultPath: sfn.JsonPath.DISCARD,
    });
    task.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    return task;
  }

  private invoke(
    id: string,
    fn: lambda.IFunction,
    options: { payload?: Record<string, unknown>; resultPath?: string },
  ): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn,
      ...(options.payload ? { payload: sfn.TaskInput.fromObject(options.payload) } : {}),
      // The handler's return value is the result: the shapes of src/workflow/step-payloads.ts.
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      ...(options.resultPath ? { resultPath: options.resultPath } : {}),
    });
    task.addRetry({
      errors: LAMBDA_TRANSIENT_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 5,
      backoffRate: 2,
      maxDelay: Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  }

  private guard<T extends sfn.TaskStateBase | sfn.Map>(state: T, onError: sfn.IChainable): T {
    state.addCatch(onError, { resultPath: '$.error' });
    return state;
  }

  private runRef(): { workflow: string; run_id: string } {
    return { workflow: sfn.JsonPath.stringAt('$.workflow'), run_id: sfn.JsonPath.stringAt('$.run_id') };
  }
}
