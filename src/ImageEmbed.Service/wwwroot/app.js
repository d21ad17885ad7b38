// Entry point: the API key form, the views and the hash router (#try, #collections, ...).
import { api, getKey, setKey } from './api.js';
import { $, notify, clearNotice } from './ui.js';
import { refreshModels, refreshCollections, bindCollectionSelects } from './state.js';
import { initTry } from './try.js';
import { initCollections, showCollections } from './collections.js';
import { initSearch } from './search.js';
import { initDuplicates, showDuplicates } from './duplicates.js';
import { initClusters, showClusters } from './clusters.js';

// The scope each view needs; the key's scope (GET /v1/key) decides what is offered.
const needs = { collections: 'read', search: 'read', duplicates: 'read', clusters: 'read' };
let allows = null; // null: no key checked yet, so nothing is hidden and the API's answers explain

const views = {
  try: () => refreshModels(),
  collections: () => Promise.all([refreshModels(), showCollections()]),
  search: () => refreshCollections(),
  duplicates: () => refreshCollections().then(showDuplicates),
  clusters: () => refreshCollections().then(showClusters),
};

async function route() {
  let name = location.hash.slice(1) in views ? location.hash.slice(1) : 'try';
  if (allows && needs[name] && !allows.includes(needs[name])) name = 'try';
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${name}`;
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.view === name);
  const section = document.getElementById(`view-${name}`);
  try {
    await views[name]();
    section.classList.remove('stale');
  } catch (err) {
    // What is on screen is from before the failure: shown greyed out under the error, not as if current.
    section.classList.add('stale');
    notify(err.message, 'error');
  }
}

/** Asks the service what the key may do; null when it refuses the key. */
async function checkKey(key) {
  try {
    return await api('/v1/key', { key });
  } catch (err) {
    if (err.status === 401) return null;
    throw err;
  }
}

function showKey(info) {
  allows = info?.allows ?? null;
  if (allows) document.body.dataset.allows = allows.join(' ');
  else delete document.body.dataset.allows;
  $('#key-state').textContent = !getKey() ? 'not set' : info ? `saved in this browser · ${info.scope} scope` : 'saved, but the service does not accept it';
}

$('#key-form').addEventListener('submit', async e => {
  e.preventDefault();
  const key = $('#api-key').value.trim();
  clearNotice();
  if (!key) {
    setKey('');
    showKey(null);
    notify('API key removed.');
    return route();
  }
  try {
    const info = await checkKey(key);
    // A key the service refuses is not saved: the one before it (if any) stays.
    if (!info) return notify('The service does not accept this API key; it was not saved. Check it, or create one with: imageembed keys create', 'error');
    setKey(key);
    $('#api-key').value = '';
    showKey(info);
    notify(`API key saved in this browser (${info.scope} scope: ${info.allows.join(', ')}).`);
    route();
  } catch (err) {
    notify(err.message, 'error');
  }
});

bindCollectionSelects();
for (const select of document.querySelectorAll('.collection-select')) select.addEventListener('change', route);
initTry();
initCollections();
initSearch();
initDuplicates();
initClusters();
window.addEventListener('hashchange', route);
showKey(null);
route();
// The view opens at once; once the key's scope is known, a view it does not allow gives way to Try it.
if (getKey()) checkKey(getKey()).then(info => {
  showKey(info);
  const name = location.hash.slice(1);
  if (allows && needs[name] && !allows.includes(needs[name])) route();
}, () => {});
