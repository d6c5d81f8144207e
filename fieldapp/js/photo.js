// Photos are compressed on the tablet before they are stored: scaled to at
// most 1280 px on the long side and re-encoded as JPEG, so a visit's photo is
// a few hundred kB instead of a camera's several MB (the server's limit is 5 MB).

const MAX_SIDE = 1280;
const QUALITY = 0.72;

async function decode(file) {
  if (window.createImageBitmap) {
    try { return await createImageBitmap(file); } catch { /* fall back to <img> */ }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** {data (base64 JPEG), bytes, width, height} of file, compressed. */
export async function compressPhoto(file, maxSide = MAX_SIDE, quality = QUALITY) {
  const image = await decode(file);
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';                       // transparent PNGs become white, not black
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(image, 0, 0, width, height);
  const data = canvas.toDataURL('image/jpeg', quality).split(',')[1];
  return { data, bytes: Math.floor((data.length * 3) / 4), width, height };
}
