// Collections: list, create, delete, upload images (with progress) and browse a thumbnail grid.
import { api, collectionPath } from './api.js';
import { $, el, errorBox, notify, dropTarget } from './ui.js';
import { currentCollection, setCurrentCollection, refreshCollections, getCollections, onCollectionsChanged } from './state.js';
import { makeThumbnail, remember, forget } from './thumbs.js';
import { itemTile } from './search.js';

const BATCH_BYTES = 6 * 1024 * 1024; // per upsert request, well under the service's body limit
const BATCH_ITEMS = 8;
const PAGE = 200;

export function initCollections() {
  $('#create-form').addEventListener('submit', async e => {
    e.preventDefault();
    const name = $('#create-name').value.trim();
    try {
      await api(collectionPath(name), { method: 'PUT', json: { model: $('#create-model').value } });
      $('#create-name').value = '';
      setCurrentCollection(name);
      await showCollections();
      notify(`Created collection ${name}.`);
    } catch (err) {
      notify(err.message, 'error');
    }
  });
  onCollectionsChanged(renderList);
}

export async function showCollections() {
  await refreshCollections();
  await renderDetail();
}

function renderList() {
  const list = $('#collection-list');
  const all = getCollections();
  list.replaceChildren(...(all.length ? all.map(c => el('li', { class: c.name === currentCollection() ? 'current' : '' },
    el('button', { type: 'button', class: 'link open-collection', dataset: { name: c.name }, onclick: () => { setCurrentCollection(c.name); renderDetail(); } }, c.name),
    el('span', { class: 'muted' }, ` ${c.count} · ${c.model}`))) : [el('li', { class: 'muted' }, 'None yet: create one below.')]));
}

async function renderDetail() {
  const detail = $('#collection-detail');
  const name = currentCollection();
  const info = getCollections().find(c => c.name === name);
  if (!info) { detail.replaceChildren(el('p', { class: 'muted' }, 'Create or pick a collection.')); return; }

  const input = el('input', { type: 'file', accept: 'image/*', multiple: true, hidden: true, id: 'upload-input', onchange: () => { const files = [...input.files]; input.value = ''; upload(name, files); } });
  const drop = el('div', { class: 'drop wide', tabindex: 0, dataset: { needs: 'write' }, onclick: () => input.click() },
    el('strong', {}, 'Upload images'), el('span', {}, 'drop files here or click to pick them'));
  dropTarget(drop, files => upload(name, files));
  detail.replaceChildren(
    el('div', { class: 'detail-head' },
      el('h2', {}, name),
      el('span', { class: 'muted' }, `${info.count} items · ${info.model} · ${info.dimensions}-d`),
      el('button', { type: 'button', class: 'danger', dataset: { needs: 'write' }, onclick: () => remove(name) }, 'Delete')),
    drop, input,
    el('div', { id: 'upload-progress', hidden: true }, el('progress', { max: 1, value: 0 }), el('span', { class: 'progress-text' })),
    el('ul', { id: 'upload-errors', class: 'errors' }),
    el('div', { id: 'collection-pager', class: 'pager' }),
    el('div', { id: 'collection-grid', class: 'grid' }));
  await renderGrid(name);
}

/** One page of the collection's items, in id order, with a pager when there are more. */
async function renderGrid(name, offset = 0) {
  const grid = $('#collection-grid');
  if (!grid) return;
  try {
    const page = await api(`${collectionPath(name, 'items')}?offset=${offset}&limit=${PAGE}`);
    grid.replaceChildren(...page.items.map(item => itemTile(name, item.id)));
    const pager = $('#collection-pager');
    if (page.total <= PAGE) { pager.replaceChildren(); return; }
    const last = Math.min(offset + page.items.length, page.total);
    pager.replaceChildren(
      el('button', { type: 'button', class: 'page-prev', disabled: offset === 0, onclick: () => renderGrid(name, Math.max(0, offset - PAGE)) }, '‹ Previous'),
      el('span', { class: 'page-status muted' }, `${offset + 1}–${last} of ${page.total}`),
      el('button', { type: 'button', class: 'page-next', disabled: last >= page.total, onclick: () => renderGrid(name, offset + PAGE) }, 'Next ›'));
  } catch (err) {
    grid.replaceChildren(errorBox(err));
  }
}

async function upload(name, files) {
  files = files.filter(f => f.size > 0);
  if (!files.length) return;
  const progress = $('#upload-progress');
  const bar = $('progress', progress);
  const text = $('.progress-text', progress);
  const errors = $('#upload-errors');
  errors.replaceChildren();
  progress.hidden = false;
  bar.max = files.length;
  bar.value = 0;
  let done = 0, failed = 0;
  text.textContent = ` 0 / ${files.length}`;

  for (const batch of batches(files)) {
    // The multipart upsert: the files as they are (no base64), each with its id, metadata and source in order.
    const form = new FormData();
    for (const f of batch) {
      form.append('file', f, f.name);
      form.append('id', f.name);
      form.append('metadata', JSON.stringify({ file: f.name, bytes: f.size }));
      form.append('source', f.name);
    }
    try {
      const result = await api(collectionPath(name, 'items'), { method: 'POST', body: form });
      for (const [i, r] of result.results.entries()) {
        if (r.status === 'ok') remember(name, r.id, await makeThumbnail(batch[i]));
        else { failed++; errors.append(el('li', { class: 'error' }, `${batch[i].name}: ${r.error.message}`)); }
      }
    } catch (err) {
      failed += batch.length;
      errors.append(el('li', { class: 'error' }, `${batch.map(f => f.name).join(', ')}: ${err.message}`));
      if (err.status === 401) break;
    }
    done += batch.length;
    bar.value = done;
    text.textContent = ` ${done} / ${files.length}${failed ? `, ${failed} failed` : ''}`;
  }
  text.textContent = ` ${done - failed} of ${files.length} uploaded${failed ? `, ${failed} failed` : ''}.`;
  await refreshCollections();
  await renderDetail();
  // renderDetail rebuilt the panel: show the outcome there again.
  $('#upload-progress').hidden = false;
  $('#upload-progress progress').max = files.length;
  $('#upload-progress progress').value = files.length;
  $('#upload-progress .progress-text').textContent = text.textContent;
  $('#upload-errors').replaceChildren(...errors.children);
}

function* batches(files) {
  let batch = [], bytes = 0;
  for (const f of files) {
    if (batch.length && (batch.length >= BATCH_ITEMS || bytes + f.size > BATCH_BYTES)) { yield batch; batch = []; bytes = 0; }
    batch.push(f);
    bytes += f.size;
  }
  if (batch.length) yield batch;
}

async function remove(name) {
  if (!confirm(`Delete collection ${name} and all its items?`)) return;
  try {
    await api(collectionPath(name), { method: 'DELETE' });
    forget(name);
    localStorage.removeItem('imageembed.collection');
    await showCollections();
    notify(`Deleted ${name}.`);
  } catch (err) {
    notify(err.message, 'error');
  }
}
