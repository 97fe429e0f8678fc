import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, KeyStageDetail, KeyStageEvent, PublishedEvent, WorkflowEventDetail } from '../events/contracts';
import { RuntimeError } from '../errors';

/** Publishes cloudsweep's events (SPEC section 6); the runner and the Lambdas share it. */
export interface EventPublisher {
  publish(event: PublishedEvent, detail: WorkflowEventDetail): Promise<void>;
}

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly eventbridge: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(event: PublishedEvent, detail: WorkflowEventDetail): Promise<void> {
    await this.put(event, detail);
  }

  /** A key's stage (key_noticed, key_deactivated, key_deleted, key_kept), detail as its contract says. */
  async publishKeyStage(event: KeyStageEvent, detail: KeyStageDetail): Promise<void> {
    await this.put(event, detail);
  }

  private async put(event: string, detail: object): Promise<void> {
    const answer = await this.eventbridge.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: event, Detail: JSON.stringify(detail) }],
      }),
    );
    // PutEvents answers 200 even when an entry was refused: the entry says so.
    const failed = answer.Entries?.find((entry) => entry.ErrorCode);
    if ((answer.FailedEntryCount ?? 0) > 0 || failed) {
      throw new RuntimeError(`publishing ${event} on bus ${this.busName} failed: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim());
    }
  }
}
