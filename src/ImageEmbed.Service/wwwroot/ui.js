// Small DOM helpers. Everything from the API goes in as text (textContent), never as HTML.

/** Creates an element: el('button', {class: 'x', onclick: f, dataset: {id}, style: {left: '1px'}}, 'text', child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    // Through the CSSOM: the Content-Security-Policy refuses style="" attributes.
    else if (name === 'style') for (const [prop, v] of Object.entries(value)) node.style.setProperty(prop, v);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Shows a message in the bar under the header; errors stay until the next action. */
export function notify(text, kind = 'info') {
  const bar = $('#message');
  bar.textContent = text;
  bar.className = kind;
  bar.hidden = false;
  if (kind === 'info') setTimeout(() => { if (bar.textContent === text) bar.hidden = true; }, 4000);
}

export function clearNotice() { $('#message').hidden = true; }

/** An inline error box, for errors that belong to one panel. */
export function errorBox(err) {
  return el('div', { class: 'error', role: 'alert' }, err?.message ?? String(err));
}

/** Copies text; falls back to a hidden textarea where the Clipboard API is unavailable (plain http). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el('textarea', { class: 'offscreen' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  notify('Copied to the clipboard.');
}

export function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Turns an element into a drop target for files. */
export function dropTarget(node, onFiles) {
  node.addEventListener('dragover', e => { e.preventDefault(); node.classList.add('over'); });
  node.addEventListener('dragleave', () => node.classList.remove('over'));
  node.addEventListener('drop', e => {
    e.preventDefault();
    node.classList.remove('over');
    if (e.dataTransfer.files.length) onFiles([...e.dataTransfer.files]);
  });
}
