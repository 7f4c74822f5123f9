/**
 * Builds the errors the fake throws. They are the SDK's OWN exception classes
 * (what the SDK's deserializer would produce from a real AWS error response),
 * with the `$metadata`, `$fault` and `$retryable` fields the SDK's retry
 * strategy classifies by, so provider code and the retry middleware see
 * exactly what they would see against AWS.
 */
import { CloudWatchLogsServiceException, ServiceUnavailableException } from '@aws-sdk/client-cloudwatch-logs';
import { ECSServiceException, ServerException } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2ServiceException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53ServiceException } from '@aws-sdk/client-route-53';
import { InternalServiceError, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { InternalServerError, SSMServiceException } from '@aws-sdk/client-ssm';

/** The services the fake stands in for. */
export type ServiceName = 'ecs' | 'elbv2' | 'route53' | 'secretsmanager' | 'ssm' | 'logs';

/** Any SDK exception class (they all take `{ message, $metadata, ... }`). */
export type ExceptionClass = abstract new (...args: never[]) => Error;

let requestCounter = 0;

/** A fresh request id, as AWS puts on every response. */
export function requestId(): string {
  requestCounter += 1;
  return `fake-${requestCounter.toString(16).padStart(8, '0')}`;
}

function metadata(httpStatusCode: number): { httpStatusCode: number; requestId: string } {
  return { httpStatusCode, requestId: requestId() };
}

/**
 * Instantiates a modelled SDK exception with AWS's message.
 * @example throw awsError(PriorityInUseException, "Priority '10' is currently in use");
 */
export function awsError(cls: ExceptionClass, message: string, extra: Record<string, unknown> = {}): Error {
  const Ctor = cls as unknown as new (opts: Record<string, unknown>) => Error;
  // Query-protocol (ELBv2) exceptions carry `Message`, the others `message`: set both like the deserializer does.
  return new Ctor({ message, Message: message, $metadata: metadata(400), ...extra });
}

const BASE: Record<ServiceName, new (opts: never) => Error> = {
  ecs: ECSServiceException as unknown as new (opts: never) => Error,
  elbv2: ElasticLoadBalancingV2ServiceException as unknown as new (opts: never) => Error,
  route53: Route53ServiceException as unknown as new (opts: never) => Error,
  secretsmanager: SecretsManagerServiceException as unknown as new (opts: never) => Error,
  ssm: SSMServiceException as unknown as new (opts: never) => Error,
  logs: CloudWatchLogsServiceException as unknown as new (opts: never) => Error,
};

/**
 * An error code the service returns but the SDK model doesn't declare (e.g.
 * ELBv2's `ValidationError`): the SDK surfaces those as the service's base
 * exception with `name` = the code.
 */
export function unmodelledError(service: ServiceName, code: string, message: string, httpStatusCode = 400): Error {
  const Ctor = BASE[service] as unknown as new (opts: Record<string, unknown>) => Error & Record<string, unknown>;
  const error = new Ctor({ name: code, $fault: httpStatusCode >= 500 ? 'server' : 'client', message, $metadata: metadata(httpStatusCode) });
  error['Message'] = message;
  return error;
}

/** The throttling code each service really returns. */
export const THROTTLING_CODE: Record<ServiceName, string> = {
  ecs: 'ThrottlingException',
  elbv2: 'ThrottlingException',
  route53: 'Throttling',
  secretsmanager: 'ThrottlingException',
  ssm: 'ThrottlingException',
  logs: 'ThrottlingException',
};

/** "Rate exceeded", as AWS says it; marked throttling so the SDK backs off and retries. */
export function throttlingError(service: ServiceName): Error {
  const error = unmodelledError(service, THROTTLING_CODE[service], 'Rate exceeded') as Error & { $retryable?: { throttling: boolean } };
  error.$retryable = { throttling: true };
  return error;
}

/** A 5xx: the modelled 500 of ECS (ServerException), Secrets Manager (InternalServiceError) and SSM (InternalServerError), CloudWatch Logs' modelled ServiceUnavailableException (500); ServiceUnavailable (503) for ELBv2 and Route 53. */
export function serverError(service: ServiceName): Error {
  const message = 'Internal server error (injected by the AWS fake)';
  if (service === 'ecs') return new ServerException({ message, $metadata: metadata(500) });
  if (service === 'secretsmanager') return Object.assign(new InternalServiceError({ message, $metadata: metadata(500) }), { $fault: 'server' });
  if (service === 'ssm') return Object.assign(new InternalServerError({ message, $metadata: metadata(500) }), { $fault: 'server' });
  if (service === 'logs') return new ServiceUnavailableException({ message, $metadata: metadata(500) });
  return unmodelledError(service, 'ServiceUnavailable', 'Service is unavailable (injected by the AWS fake)', 503);
}

/** ELBv2's generic input error (unmodelled `ValidationError`). */
export function validationError(message: string): Error {
  return unmodelledError('elbv2', 'ValidationError', message);
}
