// api.js — the gateway's /v1 API from the browser. The API key is typed by the user and kept in
// sessionStorage (this tab only) and sent as `Authorization: Bearer …` on every call. Job events are read
// with fetch() and a stream reader, not EventSource, because EventSource cannot send that header; the reader
// resumes after a dropped connection with Last-Event-ID, as EventSource would. Failures become ApiError,
// whose `plain` text is what the page shows.

const TOKEN_KEY = 'organa.apiKey';

export function storedToken() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

export function storeToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
}

/** An API failure: HTTP status (0: no answer), the gateway's error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** The failure in plain words, for the page. */
  get plain() {
    const detail = this.message ? `: ${this.message}` : '.';
    if (this.status === 0) return `The gateway could not be reached${detail}`;
    if (this.status === 401) return `The API key was not accepted${detail}`;
    if (this.status === 404) return `Not found${detail}`;
    if (this.status === 413) return `The file is too large for this gateway${detail}`;
    if (this.status === 422) return `This job cannot run${detail}`;
    if (this.status === 400) return `The gateway refused the request${detail}`;
    if (this.status === 503) return `The gateway is busy; try again soon${detail}`;
    return `The gateway answered with an error (HTTP ${this.status})${detail}`;
  }
}

/** Any error in plain words. */
export function plainWords(error) {
  return error instanceof ApiError ? error.plain : `Something went wrong in the viewer: ${error.message || error}`;
}

/** fetch() with the bearer token; resolves to the Response when it is 2xx, else throws ApiError. */
export async function call(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const token = storedToken();
  if (!token) throw new ApiError(401, 'unauthorized', 'type the API key first');
  let response;
  try {
    response = await fetch(path, { method, body, signal, headers: { ...headers, Authorization: `Bearer ${token}` } });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', error.message);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response) {
  let code = 'http', message = '';
  try {
    const body = await response.json();
    code = body.error?.code || code;
    message = body.error?.message || '';
  } catch { /* not the JSON error shape */ }
  return new ApiError(response.status, code, message);
}

/** Starts a job: `sample` names a bundled CT, else `file` is uploaded as the raw body. */
export async function createJob({ structures, preview, mirroring, sample, file }) {
  const query = new URLSearchParams();
  if (structures.length) query.set('structures', structures.join(','));
  query.set('preview', String(preview));
  query.set('mirroring', String(mirroring));
  if (sample) query.set('sample', sample);
  const type = file && !file.name.endsWith('.gz') ? 'application/octet-stream' : 'application/gzip';
  const response = await call(`/v1/jobs?${query}`, {
    method: 'POST', body: sample ? undefined : file, headers: sample ? {} : { 'Content-Type': type },
  });
  return response.json();
}

export async function job(id) { return (await call(`/v1/jobs/${encodeURIComponent(id)}`)).json(); }

/** A stored artifact of the job, by its path below `jobs/{id}/`. */
export function artifact(id, path) { return call(`/v1/jobs/${encodeURIComponent(id)}/artifacts/${path}`); }

/** The job's input CT. */
export function input(id) { return call(`/v1/jobs/${encodeURIComponent(id)}/input`); }

/** The artifact path (below `jobs/{id}/`) of a storage key. */
export function pathOfKey(id, key) { return key.startsWith(`jobs/${id}/`) ? key.slice(`jobs/${id}/`.length) : key; }

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `onEvent` with every event of the job, in order, until the job is done or failed. A connection that
 * drops before then is opened again after `Last-Event-ID` (the gateway's stream ends only with the job).
 */
export async function followEvents(id, onEvent, signal) {
  let last = 0;
  for (;;) {
    let finished = false;
    try {
      const headers = last > 0 ? { 'Last-Event-ID': String(last) } : {};
      const response = await call(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers, signal });
      for await (const event of readEvents(response.body)) {
        last = event.sequence;
        onEvent(event);
        if (event.type === 'state' && (event.state === 'done' || event.state === 'failed')) finished = true;
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw error;
      if (error instanceof SyntaxError) throw new Error(`an event the viewer cannot read (${error.message})`);
    }
    if (finished || signal?.aborted) return;
    await sleep(2000);
  }
}

/** Parses a text/event-stream body into the JSON `data` of each event. */
async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = (buffer + value).replace(/\r\n/g, '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim());
      if (data.length) yield JSON.parse(data.join('\n'));
    }
  }
}
