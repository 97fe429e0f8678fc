import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';

/** One plain-text e-mail. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends owners' messages; a test swaps it for a recording one. */
export interface Mailer {
  /** The verified identity messages are sent from. */
  readonly sender: string;
  /** Sends one message; resolves to the provider's message id. */
  send(message: MailMessage): Promise<string>;
}

/** Amazon SES (API v2) from a verified identity (CDK context `notifySender`). */
export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    readonly sender: string,
  ) {}

  async send(message: MailMessage): Promise<string> {
    const answer = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: this.sender,
        Destination: { ToAddresses: [message.to] },
        Content: { Simple: { Subject: { Data: message.subject, Charset: 'UTF-8' }, Body: { Text: { Data: message.text, Charset: 'UTF-8' } } } },
      }),
    );
    return answer.MessageId ?? '';
  }
}
