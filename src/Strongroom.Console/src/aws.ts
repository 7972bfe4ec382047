// The console's AWS client: every call is a SigV4-signed POST to the server's ordinary API endpoint (this page's
// own origin), exactly as the AWS CLI makes it. The access key lives only in this object's private field, in
// memory: never in storage, a cookie or a URL; forget() drops it. There is no other way in: what the server's
// IAM policies allow this principal is what the console can do, and every call is in the audit trail.
import { sign, type Credentials } from './sigv4.ts';

export type JsonService = 'secretsmanager' | 'kms' | 'ssm' | 'cloudtrail' | 'strongroom';
export type QueryService = 'iam' | 'sts';

const targetPrefix: Record<JsonService, string> = {
  secretsmanager: 'secretsmanager.',
  kms: 'TrentService.',
  ssm: 'AmazonSSM.',
  cloudtrail: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.',
  strongroom: 'Strongroom.',
};

const queryVersion: Record<QueryService, string> = { iam: '2010-05-08', sts: '2011-06-15' };

/** An error answer, with AWS's code and message exactly as the server sent them. */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId: string | undefined;

  constructor(code: string, message: string, status: number, requestId?: string) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
    this.requestId = requestId;
  }
}

/** The part of fetch's Response this client reads. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: Uint8Array<ArrayBuffer>; credentials: 'omit'; cache: 'no-store'; redirect: 'error' }) => Promise<HttpResponse>;

export interface XmlElementLike {
  readonly textContent: string | null;
  getElementsByTagName(name: string): ArrayLike<XmlElementLike>;
}

export type XmlParser = (text: string) => XmlElementLike;

export interface ClientOptions {
  /** The API endpoint URL (this page's origin + "/"). */
  readonly url: string;
  /** The Host header the browser will send for url (location.host). */
  readonly host: string;
  readonly region: string;
  readonly fetch: Fetch;
  readonly parseXml: XmlParser;
  readonly now?: () => number;
}

/** AWS's JSON error: { "__type": "[prefix#]Code", "Message" | "message": text }. */
export function parseJsonError(status: number, text: string, requestId?: string): AwsError {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const type = typeof body['__type'] === 'string' ? (body['__type'] as string) : undefined;
    const message = typeof body['Message'] === 'string' ? body['Message'] : typeof body['message'] === 'string' ? body['message'] : '';
    if (type) {
      return new AwsError(type.slice(type.lastIndexOf('#') + 1), message as string, status, requestId);
    }
  } catch {
    // Not JSON: shown as the HTTP status with the text below.
  }
  return new AwsError(`HTTP ${status}`, text.slice(0, 500), status, requestId);
}

function firstText(root: XmlElementLike, name: string): string | undefined {
  const found = root.getElementsByTagName(name);
  return found.length > 0 ? (found[0]!.textContent ?? '') : undefined;
}

/** AWS's Query-protocol error: <ErrorResponse><Error><Code/><Message/></Error><RequestId/></ErrorResponse>. */
export function parseXmlError(status: number, root: XmlElementLike, requestId?: string): AwsError {
  const code = firstText(root, 'Code');
  return code ? new AwsError(code, firstText(root, 'Message') ?? '', status, requestId ?? firstText(root, 'RequestId')) : new AwsError(`HTTP ${status}`, '', status, requestId);
}

function isSkew(e: AwsError): boolean {
  return (e.code === 'InvalidSignatureException' || e.code === 'SignatureDoesNotMatch') && /^Signature (expired|not yet current)/.test(e.message);
}

export class AwsClient {
  #credentials: Credentials | null;
  #clockOffset = 0;
  readonly #options: ClientOptions;

  constructor(credentials: Credentials, options: ClientOptions) {
    this.#credentials = { ...credentials };
    this.#options = options;
  }

  get region(): string {
    return this.#options.region;
  }

  get accessKeyId(): string | undefined {
    return this.#credentials?.accessKeyId;
  }

  /** Drops the credentials: every later call fails without reaching the server. */
  forget(): void {
    this.#credentials = null;
  }

  /** A Secrets Manager, KMS, SSM, CloudTrail or Strongroom call (awsJson 1.1). */
  async json<T>(service: JsonService, operation: string, input: object = {}): Promise<T> {
    const body = new TextEncoder().encode(JSON.stringify(input));
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': targetPrefix[service] + operation };
    const response = await this.#send(service, headers, body, (status, text, requestId) => parseJsonError(status, text, requestId));
    return (response.length === 0 ? {} : JSON.parse(response)) as T;
  }

  /** An IAM or STS call (the Query protocol: form body, XML answer). */
  async query(service: QueryService, action: string, params: Record<string, string> = {}): Promise<XmlElementLike> {
    const form = new URLSearchParams({ Action: action, Version: queryVersion[service], ...params });
    const body = new TextEncoder().encode(form.toString().replace(/\+/g, '%20'));
    const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const text = await this.#send(service, headers, body, (status, answer, requestId) => {
      try {
        return parseXmlError(status, this.#options.parseXml(answer), requestId);
      } catch {
        return new AwsError(`HTTP ${status}`, answer.slice(0, 500), status, requestId);
      }
    });
    return this.#options.parseXml(text);
  }

  async #send(service: string, headers: Record<string, string>, body: Uint8Array<ArrayBuffer>, error: (status: number, text: string, requestId?: string) => AwsError): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const credentials = this.#credentials;
      if (!credentials) {
        throw new AwsError('SignedOut', 'Signed out: sign in again.', 0);
      }
      const now = new Date((this.#options.now ?? Date.now)() + this.#clockOffset);
      const signature = await sign({ method: 'POST', host: this.#options.host, path: '/', headers, body }, credentials, this.#options.region, service, now);
      let response: HttpResponse;
      try {
        response = await this.#options.fetch(this.#options.url, {
          method: 'POST',
          headers: { ...headers, ...signature.headers },
          body,
          credentials: 'omit',
          cache: 'no-store',
          redirect: 'error',
        });
      } catch (e) {
        throw new AwsError('NetworkError', `The server could not be reached: ${e instanceof Error ? e.message : String(e)}`, 0);
      }
      const text = await response.text();
      if (response.status >= 200 && response.status < 300) {
        return text;
      }
      const failure = error(response.status, text, response.headers.get('x-amzn-RequestId') ?? undefined);
      // As the AWS SDKs do: a clock-skew answer corrects the clock from the server's Date header, once.
      const serverDate = Date.parse(response.headers.get('date') ?? '');
      if (attempt === 0 && isSkew(failure) && !Number.isNaN(serverDate)) {
        this.#clockOffset = serverDate - (this.#options.now ?? Date.now)();
        continue;
      }
      throw failure;
    }
  }
}

/** AWS JSON timestamps are epoch seconds. */
export function date(value: number | undefined | null): Date | undefined {
  return typeof value === 'number' ? new Date(value * 1000) : undefined;
}
