// Shared state: the installed models, the collections and the one the user is working on.
import { api } from './api.js';
import { el } from './ui.js';

const CURRENT = 'imageembed.collection';
let models = [];
let collections = [];
const listeners = new Set();

export const currentCollection = () => localStorage.getItem(CURRENT) ?? '';
export const getCollections = () => collections;
export const getModels = () => models;
export const onCollectionsChanged = f => listeners.add(f);

export function setCurrentCollection(name) {
  localStorage.setItem(CURRENT, name);
  fillCollectionSelects();
  for (const f of listeners) f();
}

export async function refreshModels() {
  try {
    models = (await api('/v1/models')).data;
  } catch (err) {
    // Listing models needs a key: say so where the list would be rather than leave it empty.
    for (const select of document.querySelectorAll('.model-select'))
      select.replaceChildren(el('option', { value: '' }, err.status === 401 ? 'enter your API key to list models' : 'models unavailable'));
    throw err;
  }
  for (const select of document.querySelectorAll('.model-select')) {
    const chosen = select.value;
    select.replaceChildren(...models.map(m =>
      el('option', { value: m.id, selected: chosen ? m.id === chosen : m.default }, `${m.id} (${m.dimensions}-d, ${m.modalities.join(' + ')})`)));
  }
  return models;
}

export async function refreshCollections() {
  collections = (await api('/v1/collections')).collections;
  if (!collections.some(c => c.name === currentCollection()) && collections.length) localStorage.setItem(CURRENT, collections[0].name);
  fillCollectionSelects();
  for (const f of listeners) f();
  return collections;
}

function fillCollectionSelects() {
  for (const select of document.querySelectorAll('.collection-select')) {
    select.replaceChildren(...(collections.length
      ? collections.map(c => el('option', { value: c.name, selected: c.name === currentCollection() }, `${c.name} (${c.count})`))
      : [el('option', { value: '' }, 'no collections yet')]));
  }
}

export function bindCollectionSelects() {
  for (const select of document.querySelectorAll('.collection-select'))
    select.addEventListener('change', () => setCurrentCollection(select.value));
}
