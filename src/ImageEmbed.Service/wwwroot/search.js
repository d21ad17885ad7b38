// Search: by text (CLIP-family models), by an uploaded image, or "more like this" from any thumbnail.
import { api, collectionPath } from './api.js';
import { $, el, errorBox, readAsDataUrl } from './ui.js';
import { currentCollection, getCollections } from './state.js';
import { thumbnail, makeThumbnail } from './thumbs.js';

export function initSearch() {
  $('#text-search-form').addEventListener('submit', e => {
    e.preventDefault();
    const text = $('#search-text').value.trim();
    if (text) run({ text }, el('p', {}, 'Text: ', el('strong', {}, text)));
  });
  $('#search-file').addEventListener('change', async () => {
    const file = $('#search-file').files[0];
    if (!file) return;
    const preview = await makeThumbnail(file);
    run({ image: await readAsDataUrl(file) },
      el('p', {}, 'Image: ', preview ? el('img', { class: 'thumb', src: preview, alt: file.name }) : '', ` ${file.name}`));
    $('#search-file').value = '';
  });
}

/** A clickable thumbnail of an item: clicking searches for more like it. */
export function itemTile(collection, id, ...extra) {
  return el('button', { type: 'button', class: 'tile', dataset: { id }, title: `More like ${id}`, onclick: () => moreLikeThis(collection, id) },
    thumbnail(collection, id), el('span', { class: 'caption', title: id }, caption(id)), ...extra);
}

/** What fits under a tile: a URL's or path's last segment, and the end of a long id rather than its start. */
export function caption(id, max = 24) {
  const name = id.split(/[\/\\]/).filter(Boolean).pop() ?? id;
  return name.length <= max ? name : `…${name.slice(-(max - 1))}`;
}

/**
 * Searches with the item's own vector (not by id, which leaves the item out), so the item itself comes
 * first at 1.000 and the rest are ranked below it.
 */
export async function moreLikeThis(collection, id) {
  location.hash = '#search';
  const query = el('p', {}, 'More like ', thumbnail(collection, id), ' ', el('strong', {}, id));
  try {
    const item = await api(collectionPath(collection, 'items', id));
    const space = getCollections().find(c => c.name === collection)?.embedding_space;
    await run({ vector: item.vector, ...(space ? { embedding_space: space } : {}) }, query, collection);
  } catch (err) {
    $('#search-results').replaceChildren(errorBox(err));
  }
}

async function run(query, description, collection = currentCollection()) {
  const results = $('#search-results');
  $('#search-query').replaceChildren(description);
  if (!collection) { results.replaceChildren(errorBox('Create a collection and upload images first (Collections).')); return; }
  results.replaceChildren(el('p', { class: 'muted' }, 'Searching…'));
  const k = Math.min(100, Math.max(1, Number($('#search-k').value) || 12));
  try {
    const response = await api(collectionPath(collection, 'search'), { method: 'POST', json: { ...query, k } });
    results.replaceChildren(...(response.results.length
      ? response.results.map(hit => itemTile(collection, hit.id, el('span', { class: 'score' }, hit.score.toFixed(3))))
      : [el('p', { class: 'muted' }, 'No results.')]));
  } catch (err) {
    results.replaceChildren(errorBox(err));
  }
}
