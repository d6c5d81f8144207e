// Hash routes (#/grid/g1, #/hh/household:g1:1-1-101 ...) → screens.
// A screen is show(view, params) returning an optional {refresh()} that is
// called when synced data changes; forms return none, so typing is never lost.

const routes = [];
let current = null;
let fallback = null;
let guard = null;          // async () => may the person leave the current screen?
let shown = '';            // the hash of what the view shows

/** Route pattern ('/grid/:grid') to show(view, params); '*' sets the fallback. */
export function route(pattern, show) {
  if (pattern === '*') { fallback = show; return; }
  const names = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
  routes.push({ re, names, show });
}

/** Go to hash path (e.g. '/hh/household:g1:1-1-101'). */
export const go = (path) => { location.hash = `#${path}`; };

/** The hash for path with each dynamic part encoded. */
export const link = (...parts) => `#/${parts.map((p) => encodeURIComponent(p)).join('/')}`;

/**
 * Ask leave() before the current screen is left for another route (a form
 * with unsaved input); it resolves false to stay. Cleared when a route renders.
 */
export function guardLeaving(leave) { guard = leave; }

// A hash change: asks the screen's guard first; staying puts the hash back.
async function navigate() {
  if (guard && location.hash !== shown) {
    const ask = guard;
    const leave = await ask();
    if (guard !== ask) return;                   // answered elsewhere meanwhile
    if (!leave) { history.pushState(null, '', shown); return; }
  }
  await render();
}

// A tablet being wiped shows only the wipe's words: no screen draws over them.
const wiping = () => document.body.classList.contains('wiped');

async function render() {
  if (wiping()) return;
  guard = null;
  shown = location.hash;
  const view = document.getElementById('view');
  const [path, query = ''] = (location.hash.slice(1) || '/').split('?');
  const params = Object.fromEntries(new URLSearchParams(query));
  let show = fallback;
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      ({ show } = r);
      break;
    }
  }
  current = null;
  window.scrollTo(0, 0);
  const screen = await show(view, params);
  current = screen || null;
  view.dataset.route = path.split('/')[1] || 'home';
}

/** Re-render data on the current screen if it can (called after sync brings data). */
export function refresh() {
  if (current?.refresh && !wiping()) current.refresh();
}

/** Start routing; renders the current hash now. */
export function startRouter() {
  window.addEventListener('hashchange', navigate);
  return render();
}

/** Render the current route again (after language change, login...). */
export const rerender = render;
