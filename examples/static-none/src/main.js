// The API URL is baked in by `vite build` (Vite docs, "Env Variables and Modes"): set VITE_API_URL
// when building, e.g. `VITE_API_URL=https://api.example.com npm run build`.
const api = import.meta.env.VITE_API_URL || '(not set at build time)';

function show() {
  document.getElementById('route').textContent = window.location.pathname;
  document.getElementById('api').textContent = api;
}

// client-side routing: links change the path without a page load; the server answers every
// path with index.html, so a reload of /about still shows this page
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link) return;
  event.preventDefault();
  window.history.pushState({}, '', link.getAttribute('href'));
  show();
});
window.addEventListener('popstate', show);
show();
