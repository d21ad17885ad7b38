// "Try it": embed an image (file, drop or URL) and show what came back; two panes give a cosine.
import { request } from './api.js';
import { $, el, errorBox, copyText, dropTarget } from './ui.js';

const results = { A: null, B: null };

export function initTry() {
  for (const pane of document.querySelectorAll('#view-try .pane')) buildPane(pane);
  // Pasting anywhere on the view (outside a text field): an image embeds, a URL fills the URL field.
  document.addEventListener('paste', e => {
    if ($('#view-try').hidden || e.target.closest?.('input, textarea')) return;
    const pane = results.A && !results.B ? $('#try-b') : $('#try-a');
    const file = [...e.clipboardData.files].find(f => f.type.startsWith('image/'));
    const text = e.clipboardData.getData('text').trim();
    if (file) embedFile(pane, file);
    else if (/^https?:\/\//i.test(text)) { $('.url-input', pane).value = text; embedUrl(pane, text); }
    else return;
    e.preventDefault();
  });
}

function buildPane(pane) {
  const slot = pane.dataset.slot;
  const file = el('input', { type: 'file', accept: 'image/*', class: 'file-input', hidden: true, onchange: () => { if (file.files[0]) embedFile(pane, file.files[0]); file.value = ''; } });
  const url = el('input', { type: 'url', class: 'url-input', placeholder: 'https://example.com/photo.jpg' });
  const drop = el('div', { class: 'drop', tabindex: 0, onclick: () => file.click(), onkeydown: e => e.key === 'Enter' && file.click() },
    el('strong', {}, `Image ${slot}`), el('span', {}, 'Drop an image here or click to pick a file'));
  dropTarget(drop, files => embedFile(pane, files[0]));
  const form = el('form', { class: 'inline', onsubmit: e => { e.preventDefault(); if (url.value.trim()) embedUrl(pane, url.value.trim()); } },
    url, el('button', { type: 'submit' }, 'Embed URL'));
  pane.replaceChildren(drop, file, form, el('div', { class: 'result' }));
}

function embedFile(pane, file) {
  const form = new FormData();
  form.append('image', file, file.name);
  form.append('model', $('#try-model').value);
  const quoted = shellQuote(`image=@${file.name}`);
  return embed(pane, { body: form }, URL.createObjectURL(file), file.name,
    `-F ${quoted} -F ${shellQuote(`model=${$('#try-model').value}`)}`);
}

function embedUrl(pane, url) {
  const json = { image: url, model: $('#try-model').value };
  return embed(pane, { json }, null, url, `-H "Content-Type: application/json" -d ${shellQuote(JSON.stringify(json))}`);
}

async function embed(pane, options, preview, label, curlArgs) {
  const out = $('.result', pane);
  const slot = pane.dataset.slot;
  out.replaceChildren(el('p', { class: 'muted' }, `Embedding ${label}…`));
  results[slot] = null;
  showComparison();
  const started = performance.now();
  try {
    const response = await request('/api/ai/embeddings', { method: 'POST', ...options });
    const body = await response.json();
    const total = performance.now() - started;
    results[slot] = body;
    const curl = `curl -X POST ${location.origin}/api/ai/embeddings -H "Authorization: Bearer $IMAGEEMBED_API_KEY" ${curlArgs}`;
    out.replaceChildren(render(body, preview, label, parseServerTiming(response.headers.get('Server-Timing')), total, curl));
  } catch (err) {
    out.replaceChildren(errorBox(err));
  }
  showComparison();
}

function render(body, preview, label, stages, total, curl) {
  const v = body.embedding;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return el('div', { class: 'embedding' },
    preview ? el('img', { class: 'preview', src: preview, alt: label }) : el('p', { class: 'source' }, label),
    el('dl', {},
      el('dt', {}, 'Model'), el('dd', { class: 'model' }, body.model),
      el('dt', {}, 'Dimensions'), el('dd', { class: 'dimensions' }, body.dimensions),
      el('dt', {}, 'Norm'), el('dd', { class: 'norm' }, norm.toFixed(6)),
      el('dt', {}, 'Space'), el('dd', { class: 'space' }, body.embedding_space)),
    el('div', { class: 'values', title: 'the first values' },
      v.slice(0, 8).map(x => el('code', { class: 'value', dataset: { value: String(x) } }, x.toFixed(4))), v.length > 8 ? '…' : ''),
    sparkline(v),
    timings(stages, total),
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'copy-json', onclick: () => copyText(JSON.stringify(body)) }, 'Copy JSON'),
      el('button', { type: 'button', class: 'copy-curl', onclick: () => copyText(curl) }, 'Copy curl')));
}

/** The whole vector as a line: one point per value, scaled to the largest magnitude. */
function sparkline(v) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const width = 600, height = 60;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('preserveAspectRatio', 'none');
  const max = Math.max(...v.map(Math.abs)) || 1;
  const points = v.map((x, i) => `${((i / Math.max(1, v.length - 1)) * width).toFixed(1)},${(height / 2 - (x / max) * (height / 2 - 2)).toFixed(1)}`);
  const axis = document.createElementNS(ns, 'line');
  Object.entries({ x1: 0, x2: width, y1: height / 2, y2: height / 2, class: 'axis' }).forEach(([k, val]) => axis.setAttribute(k, val));
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(axis, line);
  return svg;
}

function parseServerTiming(header) {
  if (!header) return [];
  return header.split(',').map(part => {
    const [name, ...params] = part.trim().split(';');
    const dur = params.map(p => p.trim()).find(p => p.startsWith('dur='));
    return { name, ms: dur ? Number(dur.slice(4)) : 0 };
  });
}

function timings(stages, total) {
  const max = Math.max(total, ...stages.map(s => s.ms)) || 1;
  const row = (name, ms) => el('div', { class: 'timing' },
    el('span', { class: 'stage' }, name),
    el('span', { class: 'bar', style: { '--w': `${Math.max(1, (ms / max) * 100).toFixed(1)}%` } }),
    el('span', { class: 'ms' }, `${ms.toFixed(1)} ms`));
  return el('div', { class: 'timings' }, stages.map(s => row(s.name, s.ms)), row('round trip', total));
}

function showComparison() {
  const box = $('#compare');
  const { A: a, B: b } = results;
  if (!a || !b) { box.hidden = true; return; }
  box.hidden = false;
  if (a.embedding.length !== b.embedding.length || a.embedding_space !== b.embedding_space) {
    box.replaceChildren(el('p', {}, 'These two come from different models: their vectors cannot be compared.'));
    return;
  }
  const dot = a.embedding.reduce((s, x, i) => s + x * b.embedding[i], 0);
  const norm = v => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const cosine = dot / (norm(a.embedding) * norm(b.embedding));
  box.replaceChildren(el('span', {}, 'Cosine similarity of A and B: '), el('strong', { class: 'cosine' }, cosine.toFixed(4)));
}

const shellQuote = s => `'${s.replaceAll("'", "'\\''")}'`;
