// Entry point: the API key form, the views and the hash router (#try, #collections, ...).
import { getKey, setKey } from './api.js';
import { $, notify, clearNotice } from './ui.js';
import { refreshModels, refreshCollections, bindCollectionSelects } from './state.js';
import { initTry } from './try.js';
import { initCollections, showCollections } from './collections.js';
import { initSearch } from './search.js';
import { initDuplicates, showDuplicates } from './duplicates.js';
import { initClusters, showClusters } from './clusters.js';

const views = {
  try: () => refreshModels(),
  collections: () => Promise.all([refreshModels(), showCollections()]),
  search: () => refreshCollections(),
  duplicates: () => refreshCollections().then(showDuplicates),
  clusters: () => refreshCollections().then(showClusters),
};

async function route() {
  const name = location.hash.slice(1) in views ? location.hash.slice(1) : 'try';
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${name}`;
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.view === name);
  try {
    await views[name]();
  } catch (err) {
    notify(err.message, 'error');
  }
}

function showKeyState() {
  $('#key-state').textContent = getKey() ? 'saved in this browser' : 'not set';
}

$('#key-form').addEventListener('submit', e => {
  e.preventDefault();
  setKey($('#api-key').value.trim());
  $('#api-key').value = '';
  showKeyState();
  clearNotice();
  notify(getKey() ? 'API key saved in this browser.' : 'API key removed.');
  route();
});

bindCollectionSelects();
for (const select of document.querySelectorAll('.collection-select')) select.addEventListener('change', route);
initTry();
initCollections();
initSearch();
initDuplicates();
initClusters();
showKeyState();
window.addEventListener('hashchange', route);
route();
