// Thumbnails. <img src> cannot send the key, so they are fetched (with it) and shown from blob: URLs.
// Images this browser uploaded are kept as small thumbnails for the session, so grids show them even
// where the service has none; anything else without a thumbnail gets a placeholder.
import { request, collectionPath } from './api.js';
import { el } from './ui.js';

const PLACEHOLDER = '/ui/placeholder.svg';
const session = new Map(); // "collection\nid" -> blob: URL made here from the uploaded file
const fetched = new Map(); // "collection\nid" -> Promise<blob: URL | null>, oldest first
const KEEP = 600; // thumbnails kept fetched: a few pages of a large collection; older ones are released

const keyOf = (collection, id) => `${collection}\n${id}`;

/** Scales an image file down to a JPEG blob: URL (longest side `size`), or null if the browser cannot read it. */
export async function makeThumbnail(file, size = 192) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, size / Math.max(bitmap.width, bitmap.height));
    const canvas = el('canvas', { width: Math.max(1, Math.round(bitmap.width * scale)), height: Math.max(1, Math.round(bitmap.height * scale)) });
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise(resolve => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    return blob ? URL.createObjectURL(blob) : null;
  } catch {
    return null;
  }
}

export function remember(collection, id, url) {
  if (url) session.set(keyOf(collection, id), url);
}

function load(collection, id) {
  const key = keyOf(collection, id);
  if (session.has(key)) return Promise.resolve(session.get(key));
  if (!fetched.has(key)) {
    fetched.set(key, request(collectionPath(collection, 'items', id, 'thumbnail'))
      .then(r => r.blob())
      .then(blob => (blob.type.startsWith('image/') ? URL.createObjectURL(blob) : null))
      .catch(() => null)); // 404 (no thumbnail, or a service without the route): the placeholder
    // Browsing hundreds of items would otherwise hold every blob for the page's lifetime. An <img> already showing
    // a released URL keeps its picture.
    while (fetched.size > KEEP) release(fetched, fetched.keys().next().value);
  }
  return fetched.get(key);
}

/** An <img> for an item: the placeholder at once, the thumbnail when it arrives. */
export function thumbnail(collection, id) {
  const img = el('img', { class: 'thumb placeholder', src: PLACEHOLDER, alt: id, loading: 'lazy' });
  load(collection, id).then(url => {
    if (url) { img.src = url; img.classList.remove('placeholder'); }
  });
  return img;
}

/** Forgets what is cached for a collection (after it is deleted). */
export function forget(collection) {
  for (const map of [session, fetched])
    for (const key of [...map.keys()]) if (key.startsWith(`${collection}\n`)) release(map, key);
}

function release(map, key) {
  Promise.resolve(map.get(key)).then(url => { if (url) URL.revokeObjectURL(url); });
  map.delete(key);
}
