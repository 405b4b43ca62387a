import nodemailer, { type Transporter } from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Outgoing mail. `configured` is false when no SMTP relay is set: callers then offer links instead. */
export interface Mailer {
  readonly configured: boolean;
  send(mail: Mail): Promise<void>;
}

/** Sends through the SMTP relay in BERTH_SMTP_URL (`smtp://user:pass@host:587`, `smtps://…`). */
export class SmtpMailer implements Mailer {
  readonly configured = true;
  private readonly transport: Transporter;

  constructor(url: string, private readonly from: string) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(mail: Mail): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
  }
}

export class NoMailer implements Mailer {
  readonly configured = false;
  async send(): Promise<void> {
    throw new Error('No SMTP relay is configured (BERTH_SMTP_URL)');
  }
}
