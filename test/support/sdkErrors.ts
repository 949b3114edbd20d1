/** What every AWS SDK v3 service exception class (EC2ServiceException, EKSServiceException, ...) takes. */
type ServiceExceptionClass<E> = new (options: {
  name: string;
  message: string;
  $fault: 'client' | 'server';
  $metadata: { httpStatusCode?: number };
}) => E;

/** A client-side error as the SDK throws it: the service's exception class, a name and an HTTP status. */
export function serviceError<E>(
  Exception: ServiceExceptionClass<E>,
  name: string,
  message: string,
  httpStatusCode = 400,
): E {
  return new Exception({ name, message, $fault: 'client', $metadata: { httpStatusCode } });
}

/** An error as a mocked client may reject with it: a plain Error that carries only the exception's name. */
export function namedError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}
