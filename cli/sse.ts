/**
 * A Server-Sent Events reader over a fetch body. EventSource cannot send an Authorization
 * header, so the CLI (like the inspector page) reads the stream itself.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

/** One dispatched message. */
export interface SseMessage {
  id: string;
  event: string;
  data: string;
}

/** Yields each message of an event stream as it completes; comments and keep-alives are skipped. */
export async function* readSse(body: AsyncIterable<Uint8Array> | null): AsyncGenerator<SseMessage> {
  if (!body) return;

  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let message = emptyMessage();
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    // A line ends at CRLF, LF or CR; a CR at the very end may be half of a CRLF, so it waits.
    let match: RegExpExecArray | null;
    while ((match = /\r\n|\n|\r(?=[^\n])/.exec(buffer)) !== null) {
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const dispatched = feedLine(message, line);
      if (dispatched) {
        yield dispatched;
        message = emptyMessage(dispatched.id);
      }
    }
  }
}

interface PendingMessage {
  id: string;
  event: string;
  data: string[];
}

function emptyMessage(lastId = ''): PendingMessage {
  // The last event id persists across messages, as the spec says.
  return { id: lastId, event: '', data: [] };
}

/** Applies one line; returns the finished message when the line is blank and data was seen. */
function feedLine(message: PendingMessage, line: string): SseMessage | undefined {
  if (line === '') {
    if (message.data.length === 0) {
      message.event = '';
      return undefined;
    }
    return { id: message.id, event: message.event || 'message', data: message.data.join('\n') };
  }
  if (line.startsWith(':')) return undefined;

  const colon = line.indexOf(':');
  const field = colon === -1 ? line : line.slice(0, colon);
  let value = colon === -1 ? '' : line.slice(colon + 1);
  if (value.startsWith(' ')) value = value.slice(1);
  if (field === 'data') message.data.push(value);
  else if (field === 'event') message.event = value;
  else if (field === 'id' && !value.includes('\0')) message.id = value;
  return undefined;
}
