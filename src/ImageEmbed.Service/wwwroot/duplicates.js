// Duplicates: groups of near-identical items side by side, with each pair's score, at a chosen threshold.
import { api, collectionPath } from './api.js';
import { $, el, errorBox } from './ui.js';
import { currentCollection } from './state.js';
import { itemTile } from './search.js';

let timer = 0;
// Until the slider is moved, the service's calibrated default for the collection's model applies.
let chosen = false;

export function initDuplicates() {
  const slider = $('#dup-threshold');
  slider.addEventListener('input', () => {
    chosen = true;
    $('#dup-threshold-value').textContent = Number(slider.value).toFixed(2);
    clearTimeout(timer);
    timer = setTimeout(showDuplicates, 250);
  });
}

export async function showDuplicates() {
  const collection = currentCollection();
  const groups = $('#dup-groups');
  const summary = $('#dup-summary');
  if (!collection) { summary.textContent = ''; groups.replaceChildren(errorBox('Create a collection and upload images first (Collections).')); return; }
  summary.textContent = 'Looking for duplicates…';
  try {
    const result = await api(collectionPath(collection, 'duplicates'), { method: 'POST', json: chosen ? { threshold: Number($('#dup-threshold').value) } : {} });
    const threshold = result.threshold;
    if (!chosen) {
      $('#dup-threshold').value = threshold;
      $('#dup-threshold-value').textContent = threshold.toFixed(2);
    }
    summary.textContent = result.groups.length
      ? `${result.groups.length} group${result.groups.length > 1 ? 's' : ''} at similarity ≥ ${threshold.toFixed(2)}.`
      : `No duplicates at similarity ≥ ${threshold.toFixed(2)}. Lower the threshold to see near matches.`;
    groups.replaceChildren(...result.groups.map(g => el('div', { class: 'dup-group' },
      el('div', { class: 'row' }, g.items.map(id => itemTile(collection, id))),
      el('ul', { class: 'pairs' }, g.pairs.map(p => el('li', {},
        `${p.a} ↔ ${p.b} `, el('strong', { class: 'score' }, p.score.toFixed(3)), p.kind ? el('span', { class: `kind ${p.kind}` }, p.kind) : ''))))));
  } catch (err) {
    summary.textContent = '';
    groups.replaceChildren(errorBox(err));
  }
}
