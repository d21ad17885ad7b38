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
  const { spots, fits } = layout(map.points, area.clientWidth, area.clientHeight);
  // More items than thumbnail-sized cells would pile thumbnails into a blur: then each item is a dot in its
  // cluster's colour (hover names it, the list beside says what each cluster holds) and thumbnails open per cluster.
  area.replaceChildren(...map.points.map((p, i) => el('button', {
    type: 'button', class: fits ? 'point' : 'point dot', title: `${p.id} (cluster ${p.cluster + 1})`, dataset: { id: p.id, cluster: p.cluster },
    style: { left: spots[i].left, top: spots[i].top, 'border-color': colour(p.cluster), ...(fits ? {} : { background: colour(p.cluster) }) },
    onclick: () => openCluster(collection, p.cluster),
  }, fits ? thumbnail(collection, p.id) : '')));
  const [vx, vy] = map.explained_variance;
  $('#map-legend').replaceChildren(
    el('h3', {}, `${map.clusters.length} clusters`),
    el('p', { class: 'muted' }, `Axes: the two principal components (${(vx * 100).toFixed(0)}% and ${(vy * 100).toFixed(0)}% of the variance).`),
    el('ul', { class: 'legend' }, [...map.clusters].sort((a, b) => b.items.length - a.items.length).map(c => el('li', {},
      el('button', { type: 'button', class: 'link cluster-link', dataset: { cluster: c.index }, onclick: () => openCluster(collection, c.index) },
        el('span', { class: 'swatch', style: { background: colour(c.index) } }),
        `Cluster ${c.index + 1}: ${c.items.length} item${c.items.length > 1 ? 's' : ''}`)))));
}

/**
 * Where each point is drawn, as CSS percentages. Points are within -1..1 on both axes (a margin is kept for
 * the thumbnails). Near-identical images land on one spot and would hide each other, so each point takes the
 * free thumbnail-sized cell nearest to its place: every one stays visible and clickable. When there are more points
 * than cells, they keep their places and `fits` is false (drawn as dots).
 */
function layout(points, width, height) {
  const percent = v => `${(50 + v * 42).toFixed(2)}%`;
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const size = 2.6 * rem + 8; // the thumbnail and its border (app.css .point)
  const cols = Math.floor(width / size), rows = Math.floor(height / size);
  if (cols < 1 || rows < 1 || points.length > cols * rows) return { spots: points.map(p => ({ left: percent(p.x), top: percent(-p.y) })), fits: false };
  const taken = new Set();
  return { fits: true, spots: points.map(p => {
    const cx = Math.min(cols - 1, Math.floor((0.5 + p.x * 0.42) * cols)), cy = Math.min(rows - 1, Math.floor((0.5 - p.y * 0.42) * rows));
    for (let r = 0; ; r++) {
      // The ring of cells r steps away, nearest first.
      const ring = [];
      for (let dx = -r; dx <= r; dx++)
        for (let dy = -r; dy <= r; dy++)
          if (Math.max(Math.abs(dx), Math.abs(dy)) === r) ring.push([cx + dx, cy + dy]);
      ring.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
      for (const [x, y] of ring) {
        if (x < 0 || y < 0 || x >= cols || y >= rows || taken.has(x * rows + y)) continue;
        taken.add(x * rows + y);
        return { left: `${((x + 0.5) / cols * 100).toFixed(2)}%`, top: `${((y + 0.5) / rows * 100).toFixed(2)}%` };
      }
    }
  }) };
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
