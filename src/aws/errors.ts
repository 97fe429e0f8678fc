/** IAM's answer for a user or key that does not exist (any more). */
export function isNoSuchEntity(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'NoSuchEntity' || name === 'NoSuchEntityException';
}

/** DynamoDB's answer to a write whose condition did not hold (someone else wrote first). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}
