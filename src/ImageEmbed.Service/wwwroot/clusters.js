// Clusters: the collection on a 2-D map (PCA, computed by the service) with thumbnails coloured by
// k-means cluster; clicking a point or a cluster lists that cluster's members.
import { api, collectionPath } from './api.js';
import { $, el, errorBox } from './ui.js';
import { currentCollection } from './state.js';
import { thumbnail } from './thumbs.js';
import { itemTile } from './search.js';

const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#469990', '#808000', '#000075', '#a9a9a9'];
const colour = i => COLOURS[i % COLOURS.length];
let map = null;

export function initClusters() {
  $('#map-draw').addEventListener('click', showClusters);
}

export async function showClusters() {
  const collection = currentCollection();
  const area = $('#map');
  $('#map-cluster').replaceChildren();
  if (!collection) { area.replaceChildren(errorBox('Create a collection and upload images first (Collections).')); return; }
  const k = Number($('#map-k').value);
  area.replaceChildren(el('p', { class: 'muted' }, 'Computing the map…'));
  try {
    map = await api(collectionPath(collection, 'map'), { method: 'POST', json: k ? { k } : {} });
    draw(collection);
  } catch (err) {
    area.replaceChildren(errorBox(err));
    $('#map-legend').replaceChildren();
  }
}

function draw(collection) {
  const area = $('#map');
  if (!map.points.length) { area.replaceChildren(el('p', { class: 'muted' }, 'This collection is empty.')); $('#map-legend').replaceChildren(); return; }
  // Points are within -1..1 on both axes; keep a margin for the thumbnails.
  const place = v => `${(50 + v * 42).toFixed(2)}%`;
  area.replaceChildren(...map.points.map(p => el('button', {
    type: 'button', class: 'point', title: `${p.id} (cluster ${p.cluster + 1})`, dataset: { id: p.id, cluster: p.cluster },
    style: { left: place(p.x), top: place(-p.y), 'border-color': colour(p.cluster) },
    onclick: () => openCluster(collection, p.cluster),
  }, thumbnail(collection, p.id))));
  const [vx, vy] = map.explained_variance;
  $('#map-legend').replaceChildren(
    el('h3', {}, `${map.clusters.length} clusters`),
    el('p', { class: 'muted' }, `Axes: the two principal components (${(vx * 100).toFixed(0)}% and ${(vy * 100).toFixed(0)}% of the variance).`),
    el('ul', { class: 'legend' }, map.clusters.map(c => el('li', {},
      el('button', { type: 'button', class: 'link cluster-link', dataset: { cluster: c.index }, onclick: () => openCluster(collection, c.index) },
        el('span', { class: 'swatch', style: { background: colour(c.index) } }),
        `Cluster ${c.index + 1}: ${c.items.length} item${c.items.length > 1 ? 's' : ''}`)))));
}

function openCluster(collection, index) {
  const cluster = map.clusters.find(c => c.index === index);
  for (const point of document.querySelectorAll('#map .point'))
    point.classList.toggle('dim', Number(point.dataset.cluster) !== index);
  $('#map-cluster').replaceChildren(
    el('h3', {}, el('span', { class: 'swatch', style: { background: colour(index) } }),
      `Cluster ${index + 1}: ${cluster.items.length} items, cohesion ${cluster.cohesion.toFixed(3)}`),
    el('div', { class: 'grid' }, cluster.items.map(id => itemTile(collection, id))));
}
