import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EVENT_SOURCE, WORKFLOW_FAILED } from '../../src/events/contracts';
import {
  ACTION_RUNS,
  endsWorkflow,
  FailedStage,
  firstOf,
  incompleteError,
  lastOf,
  StepAction,
  stepFailedError,
  Stretch,
  STRETCHES,
  WORKFLOW_NAMES,
  WORKFLOWS,
  WorkflowEvent,
  WorkflowName,
  WorkflowStep,
} from '../../src/workflow/declaration';
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

/**
 * The state machine, generated from the workflow declaration (src/workflow/declaration.ts): one
 * chain of stretches of steps in WORKFLOW_STEPS order, entered at the requested workflow's first
 * event and left after its last. A stretch is one invocation of plan (src/workflow/stretch.ts:
 * each event published, its jobs run, the plan drawn at cleanup_plan), followed by the action that
 * runs in states of its own (collect's Map, cleanup's loop), if any: Standard workflows bill per
 * state transition, and a steady collect_and_cleanup run enters 14 states.
 * Around the steps, the lease the in-process runner also takes (src/workflow/lease.ts): acquired
 * first, given up by the stretch that ends the workflow and on the failure path (and, for an
 * execution stopped or timed out, by a rule on its end), so two runs, deployed or in-process,
 * never interleave.
 * State data: `{workflow, run_id, lease, summaries: {collect?, plan?, cleanup?}, jobs: {<event>: {jobs, started_at, duration_ms}}, collect?: {accounts, batches}, error?}`.
 */
export class WorkflowStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** Gives back the lease of an execution that ended without its own release. */
  readonly endedExecutions: events.Rule;

  constructor(scope: Construct, id: string, private readonly props: WorkflowStateMachineProps) {
    super(scope, id);

    const failure = this.failurePath();
    const done = new sfn.Succeed(this, 'Done');

    // Build the stretches back to front so each knows where it goes next.
    const entries = new Map<WorkflowEvent, sfn.IChainable>();
    let next: sfn.IChainable = done;
    for (let at = STRETCHES.length - 1; at >= 0; at--) {
      const stretch = STRETCHES[at] as Stretch;
      const last = lastOf(stretch);
      const leaving = WORKFLOW_NAMES.filter((name) => WORKFLOWS[name].last === last.event);
      const after =
        leaving.length > 0 && next !== done
          ? leaving
              .reduce((choice, name) => choice.when(sfn.Condition.stringEquals('$.workflow', name), done), new sfn.Choice(this, `After ${last.event}`))
              .otherwise(next)
          : next;
      const afterSteps = last.action && ACTION_RUNS[last.action] === 'own_states' ? this.action(last, last.action, failure(last.event), after) : after;
      const entry = sfn.Chain.start(this.stretch(stretch, failure)).next(afterSteps);
      entries.set(firstOf(stretch).event, entry);
      next = entry;
    }

    // An unknown workflow fails before the lease is taken; a known one takes it, then enters its first step.
    const unknown = new sfn.Fail(this, 'Unknown workflow', {
      error: 'UnknownWorkflow',
      cause: `The execution input must be {"workflow": NAME} with NAME one of ${WORKFLOW_NAMES.join(', ')}`,
    });
    const choose = new sfn.Choice(this, 'Choose workflow', { comment: 'The input {"workflow": NAME} picks the workflow.' });
    for (const name of WORKFLOW_NAMES) {
      const entry = entries.get(WORKFLOWS[name].first);
      if (!entry) throw new Error(`workflow ${name} starts at ${WORKFLOWS[name].first}, where no stretch of steps begins`);
      choose.when(
        sfn.Condition.and(sfn.Condition.isPresent('$.workflow'), sfn.Condition.stringEquals('$.workflow', name)),
        this.acquireLease(name, failure('acquire_lease')).next(entry),
      );
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
   * Takes the lease for this execution of the workflow, for as long as the execution may run (it
   * cannot renew it), and starts the run's state from it (the lease's holder is the run id, the
   * execution's name). While another run holds it, the function throws LeaseBusyError and the
   * execution retries for about ten minutes (EXECUTION_LEASE_RETRY); then it takes the failure
   * path, naming the holder.
   */
  private acquireLease(workflow: WorkflowName, onError: sfn.IChainable): tasks.LambdaInvoke {
    const acquire = this.invoke(`Acquire lease for ${workflow}`, this.props.plan, {
      payload: { action: 'acquire_lease', workflow, run_id: sfn.JsonPath.executionName, ttl_seconds: this.props.timeout.toSeconds() },
      resultSelector: { workflow, run_id: sfn.JsonPath.stringAt('$.holder'), lease: sfn.JsonPath.objectAt('$'), summaries: {}, jobs: {} },
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
   * A stretch of steps: one invocation of plan, given the state and answering it with the
   * stretch's jobs and summaries added. A failure at a step comes back named for it
   * (stepFailedError, src/workflow/stretch.ts), so the failure path names that step; a
   * `CleanupIncomplete` one passes the summary's text on as the cause; one the function could not
   * name (a timeout) is the stretch's first step's.
   */
  private stretch(stretch: Stretch, failure: (stage: FailedStage) => sfn.IChainable): tasks.LambdaInvoke {
    const first = firstOf(stretch);
    const last = lastOf(stretch);
    const name = stretch.length === 1 ? `Publish ${first.event}` : `Publish ${first.event} to ${last.event}`;
    const task = this.invoke(name, this.props.plan, {
      payload: { action: 'run_steps', ...this.runRef(), from: first.event, state: sfn.JsonPath.objectAt('$') },
    });
    for (const step of stretch) {
      const incomplete = incompleteError(step);
      if (incomplete !== undefined && step.reports) {
        const fail = new sfn.Pass(this, `${step.event} incomplete`, {
          parameters: { Error: incomplete, Cause: sfn.JsonPath.stringAt(`${SUMMARY_PATH[step.reports]}.incomplete`) },
          resultPath: '$.error',
        }).next(failure(step.event));
        task.addCatch(fail, { errors: [incomplete], resultPath: '$.error' });
      }
      task.addCatch(failure(step.event), { errors: [stepFailedError(step.event)], resultPath: '$.error' });
    }
    if (WORKFLOW_NAMES.some((workflow) => endsWorkflow(stretch, workflow))) {
      task.addCatch(failure('release_lease'), { errors: [stepFailedError('release_lease')], resultPath: '$.error' });
    }
    return this.guard(task, failure(first.event));
  }

  /** The step's action that runs in states of its own, followed by `next`. */
  private action(step: WorkflowStep, action: StepAction, onError: sfn.IChainable, next: sfn.IChainable): sfn.IChainable {
    switch (action) {
      case 'collect':
        return this.collect(onError).next(next);
      case 'cleanup':
        return this.cleanup(step, onError, next);
      case 'plan':
        throw new Error('the plan is drawn in its stretch of steps (ACTION_RUNS with_events)');
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
    const clean = this.guard(
      this.invoke('Clean up', this.props.cleanup, {
        payload: { action: 'cleanup', ...this.runRef(), summaries: sfn.JsonPath.objectAt('$.summaries') },
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
    return sfn.Chain.start(clean).next(again);
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
  private failurePath(): (step: FailedStage) => sfn.IChainable {
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
    const entries = new Map<FailedStage, sfn.IChainable>();
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
    options: { payload?: Record<string, unknown>; resultPath?: string; resultSelector?: Record<string, unknown> },
  ): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn,
      ...(options.payload ? { payload: sfn.TaskInput.fromObject(options.payload) } : {}),
      // The handler's return value is the result: the shapes of src/workflow/step-payloads.ts.
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      ...(options.resultPath ? { resultPath: options.resultPath } : {}),
      ...(options.resultSelector ? { resultSelector: options.resultSelector } : {}),
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

  /** The run id is the execution's name, read from the context: a failed acquire leaves none in the state. */
  private runRef(): { workflow: string; run_id: string } {
    return { workflow: sfn.JsonPath.stringAt('$.workflow'), run_id: sfn.JsonPath.executionName };
  }
}
