// The page's only way to the server: the public /v1 API, with the caller's credentials.
// Credentials are an API key (single-user installs) or an access + refresh token pair.

const STORE_KEY = 'pictor.auth';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function loadCredentials() {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
  } catch {
    return null;
  }
}

let credentials = loadCredentials();
let refreshing = null;

function saveCredentials(value) {
  credentials = value;
  if (value) localStorage.setItem(STORE_KEY, JSON.stringify(value));
  else localStorage.removeItem(STORE_KEY);
  window.dispatchEvent(new CustomEvent('pictor:auth', { detail: { signedIn: !!value } }));
}

function bearer() {
  if (!credentials) return null;
  return credentials.kind === 'key' ? credentials.key : credentials.access;
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const err = body && body.error;
  if (err && err.code) return new ApiError(response.status, err.code, err.message || err.code, body);
  return new ApiError(response.status, `http_${response.status}`,
    `pictor answered ${response.status} ${response.statusText || ''}`.trim(), body);
}

async function refreshTokens() {
  if (!credentials || credentials.kind !== 'token' || !credentials.refresh) return false;
  if (!refreshing) {
    refreshing = (async () => {
      const response = await fetch('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: credentials.refresh }),
      });
      if (!response.ok) return false;
      const pair = await response.json();
      saveCredentials({ kind: 'token', access: pair.access_token, refresh: pair.refresh_token });
      return true;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

/**
 * Call the API. Options: method, json (a body sent as JSON), form (FormData), headers,
 * signal, raw (return the Response instead of parsed JSON). Throws ApiError with the
 * API's own code and message; a network failure is ApiError(0, 'network_error').
 */
export async function api(path, { method, json, form, headers = {}, signal, raw = false } = {}) {
  const doFetch = () => {
    const allHeaders = { ...headers };
    const token = bearer();
    if (token) allHeaders.Authorization = `Bearer ${token}`;
    let body;
    if (json !== undefined) {
      allHeaders['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    return fetch(path, { method: method || (body ? 'POST' : 'GET'), headers: allHeaders, body, signal });
  };
  let response;
  try {
    response = await doFetch();
    if (response.status === 401 && credentials && credentials.kind === 'token') {
      if (await refreshTokens()) response = await doFetch();
    }
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', 'pictor could not be reached; check your connection');
  }
  if (response.status === 401 && credentials) {
    const error = await errorFrom(response);
    saveCredentials(null);
    throw error;
  }
  if (!response.ok) throw await errorFrom(response);
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** The Authorization header value for requests made outside api() (streams). */
export function authorization() {
  const token = bearer();
  return token ? `Bearer ${token}` : null;
}

export const auth = {
  signedIn: () => !!credentials,
  kind: () => (credentials ? credentials.kind : null),

  /** Use a pasted API key; checked against /v1/me before it is kept. */
  async useKey(key) {
    const trimmed = key.trim();
    const response = await fetch('/v1/me', { headers: { Authorization: `Bearer ${trimmed}` } });
    if (!response.ok) throw await errorFrom(response);
    saveCredentials({ kind: 'key', key: trimmed });
    return response.json();
  },

  async login(email, password) {
    const pair = await api('/v1/auth/login', { json: { email, password } });
    saveCredentials({ kind: 'token', access: pair.access_token, refresh: pair.refresh_token });
  },

  async register(email, password) {
    const pair = await api('/v1/auth/register', { json: { email, password } });
    saveCredentials({ kind: 'token', access: pair.access_token, refresh: pair.refresh_token });
  },

  async logout() {
    const current = credentials;
    saveCredentials(null);
    if (current && current.kind === 'token' && current.refresh) {
      await fetch('/v1/auth/logout', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: current.refresh }),
      }).catch(() => undefined);
    }
  },
};

/** Upload one File; resolves to the artifact (id, url, width, height, ...). */
export async function uploadFile(file, { signal } = {}) {
  const form = new FormData();
  form.append('file', file, file.name || 'image');
  return api('/v1/uploads', { form, signal });
}

/** Ask the header to re-read the credit balance (after a job ends, a purchase, ...). */
export function creditsChanged() {
  window.dispatchEvent(new CustomEvent('pictor:credits'));
}
