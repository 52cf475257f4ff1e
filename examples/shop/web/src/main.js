// The API's address, baked in at build time (Vite: import.meta.env, "Env Variables and Modes").
const api = import.meta.env.VITE_API_URL ?? '';

const out = document.querySelector('#visits');
fetch(`${api}/api/visits`)
  .then((r) => r.json())
  .then((body) => {
    out.textContent = `visits: ${body.visits}`;
  })
  .catch((e) => {
    out.textContent = `the API did not answer: ${e.message}`;
  });
