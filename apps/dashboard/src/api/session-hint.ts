// Whether this browser signed in recently. The session cookie is HttpOnly, so the page cannot see
// it; without this hint every signed-out visit would start with a 401 (a console error) just to
// learn that it is signed out. The cookie stays the only credential.

const KEY = "yallmp.session-until";
const SESSION_MS = 12 * 3600 * 1000;

export function hasSessionHint(now = Date.now()): boolean {
  try {
    const until = Number(window.localStorage.getItem(KEY));
    return Number.isFinite(until) && until > now;
  } catch {
    // Storage blocked: ask the server every time.
    return true;
  }
}

export function setSessionHint(now = Date.now()): void {
  try {
    window.localStorage.setItem(KEY, String(now + SESSION_MS));
  } catch {
    // Storage blocked; nothing to remember.
  }
}

export function clearSessionHint(): void {
  try {
    window.localStorage.removeItem(KEY);
  } catch {
    // Storage blocked; nothing to forget.
  }
}
