/** Each test file stops the emulators it started; nothing is shared across files. */
export default async function globalTeardown(): Promise<void> {}
