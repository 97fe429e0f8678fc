/** IAM's answer for a user or key that does not exist (any more). */
export function isNoSuchEntity(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'NoSuchEntity' || name === 'NoSuchEntityException';
}

/** DynamoDB's answer to a write whose condition did not hold (someone else wrote first). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/**
 * An AWS error in one line, as cleanup's audit, collect's summary and the logs record it: the
 * error's name (AWS's error code) and its message, `AccessDenied: User ... is not authorized`;
 * the name is left out when it says nothing (`Error`) or the message already starts with it.
 */
export function awsErrorText(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  return name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}
