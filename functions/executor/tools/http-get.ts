/**
 * http_get: fetches a URL through the egress guard. Redirects are followed by hand (at most
 * three) so that every hop is checked; the body is cut at a size limit.
 */
import { DdoError } from '../../../shared/errors';
import { assertEgressAllowed, type EgressPolicy } from '../egress';

const MAX_REDIRECTS = 3;
const MAX_BODY_CHARS = 20_000;

/** Fetches `args.url` if the guard allows it and every redirect it takes. */
export async function httpGet(policy: EgressPolicy, args: { url: string }, signal: AbortSignal): Promise<Record<string, unknown>> {
  let url = assertEgressAllowed(policy, args.url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetch(url, { redirect: 'manual', signal });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = assertEgressAllowed(policy, new URL(location, url));
      continue;
    }
    const text = await res.text();
    return {
      url: url.toString(),
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: text.slice(0, MAX_BODY_CHARS),
      truncated: text.length > MAX_BODY_CHARS,
    };
  }
  throw new DdoError(`${args.url} redirected more than ${MAX_REDIRECTS} times.`, { status: 400, reason: 'too_many_redirects' });
}
