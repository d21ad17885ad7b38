// The API client: every call carries the key from localStorage; every error becomes an ApiError whose
// message says what to do and quotes the service's own message.

const KEY = 'imageembed.apiKey';

export const getKey = () => localStorage.getItem(KEY) ?? '';
export function setKey(key) {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, message, apiMessage) {
    super(message);
    this.status = status;
    this.apiMessage = apiMessage;
  }
}

/** fetch with the key (or the one given); resolves to the Response when it is 2xx, throws ApiError otherwise. */
export async function request(path, { method = 'GET', json, body, headers, key = getKey() } = {}) {
  const h = new Headers(headers);
  if (key) h.set('Authorization', `Bearer ${key}`);
  if (json !== undefined) {
    h.set('Content-Type', 'application/json');
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(path, { method, headers: h, body });
  } catch (e) {
    throw new ApiError(0, `The service cannot be reached (${e.message}). Is it running?`, e.message);
  }
  if (!response.ok) throw await toError(response);
  return response;
}

/** request() and the parsed JSON body (null for 204). */
export async function api(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

export const collectionPath = (name, ...rest) =>
  ['/v1/collections', name, ...rest].map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join('/');

async function toError(response) {
  const text = await response.text();
  let message = text || response.statusText;
  try {
    const body = JSON.parse(text);
    // Both error shapes: {"error", "message"} and the OpenAI envelope {"error": {"message"}}.
    message = body.message ?? body.error?.message ?? message;
  } catch { /* not JSON: keep the text */ }
  return new ApiError(response.status, explain(response, message), message);
}

function explain(response, message) {
  const retry = response.headers.get('Retry-After');
  switch (response.status) {
    case 401: return `Enter your API key (top right): the service refused the request. ${message}`;
    case 403: return `Your API key may not do this. ${message}`;
    case 413: return `Too large: ${message}`;
    case 415: return `Unsupported upload: ${message}`;
    case 422: return `Not a usable image: ${message}`;
    case 429: return `Rate limited: wait ${retry ?? 'a few'} s and try again. ${message}`;
    case 502: return `The image's server failed: ${message}`;
    case 503: return `The service is busy or its model is loading; try again${retry ? ` in ${retry} s` : ''}. ${message}`;
    case 504: return `The image's server did not answer in time: ${message}`;
    default: return message;
  }
}
