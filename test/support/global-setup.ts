import { ensureMotoPython } from '../../src/emulator/moto';

/** Makes sure the AWS emulator can start before any integration test asks for it. */
export default async function globalSetup(): Promise<void> {
  ensureMotoPython((line) => process.stderr.write(`${line}\n`));
}
