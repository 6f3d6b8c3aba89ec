/**
 * OpenSSL's error lines, as Node passes them on, carry a thread id, a library, a function, a
 * source file and a line around the one part a person can act on ("tlsv13 alert certificate
 * required", "wrong version number"). This keeps the reason and the alert number.
 */
export function tlsErrorText(error: Error): string {
  const message = error.message.trim();
  const match = /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+):/.exec(message);
  if (match === null) return message;
  const alert = /SSL alert number \d+/.exec(message);
  return alert === null ? (match[1] as string) : `${match[1]} (${alert[0]})`;
}
