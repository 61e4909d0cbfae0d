// The UI's only way to the server: the public /v1 API with the party's bearer token, exactly
// as any other client (no private endpoint), and the alert stream read with fetch (EventSource
// cannot send an Authorization header). Every URL is relative: the page talks to its own origin.

const TOKEN_KEY = 'deconflict.token';

export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An RFC 9457 problem returned by the server, or a network failure. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.type = problem.type || '';
    this.problem = problem;
  }
}

/** GET or POST a /v1 path; resolves to the parsed JSON body, rejects with ApiProblem. */
export async function call(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${storedToken()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    let problem = {};
    try {
      problem = JSON.parse(text);
    } catch {
      problem = { detail: `HTTP ${response.status}` };
    }
    throw new ApiProblem(response.status, problem);
  }
  return text ? JSON.parse(text) : null;
}

/**
 * Follows /v1/alerts/stream: calls onEvent(name, data, id) per Server-Sent Event, onState with
 * "live" / "reconnecting", and reconnects after a failure resuming after the last id seen
 * (the server then sends exactly what was missed). Returns a function that stops it.
 */
export function follow(onEvent, onState) {
  let lastId = null;
  let stopped = false;
  let controller = null;
  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const query = lastId === null ? '' : `?after=${lastId}`;
        const response = await fetch(`/v1/alerts/stream${query}`, {
          headers: { Authorization: `Bearer ${storedToken()}`, Accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
        onState('live');
        await readEvents(response.body, (name, data, id) => {
          if (id !== null) lastId = id;
          onEvent(name, data, id);
        });
      } catch (error) {
        if (stopped) return;
        console.warn('stream interrupted', error);
      }
      if (stopped) return;
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

/** Parses an SSE byte stream (the subset the server sends: id, event, data, comments). */
async function readEvents(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { name: 'message', data: [], id: null };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (event.data.length > 0) dispatch(event.name, event.data.join('\n'), event.id);
        event = { name: 'message', data: [], id: null };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.name = value;
      else if (field === 'data') event.data.push(value);
      else if (field === 'id') event.id = value;
    }
  }
}
