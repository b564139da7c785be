/**
 * Recognises an image file by its first bytes and reads its pixel size from the header, so files that are not images
 * and images too large to decode are turned away before a decoder allocates anything for them.
 */

export const IMAGE_FORMATS = ['png', 'jpeg', 'gif', 'webp', 'bmp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** How many leading bytes readImageHeader may need (JPEG headers can sit behind large EXIF blocks). */
export const IMAGE_HEADER_BYTES = 256 * 1024;

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0): boolean =>
  signature.every((byte, i) => bytes[at + i] === byte);

const ascii = (bytes: Uint8Array, at: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(at, at + length));

function pngHeader(view: DataView): ImageHeader | null {
  // Signature, then the IHDR chunk: length (4), "IHDR", width (4), height (4).
  if (view.byteLength < 24) return null;
  return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
}

function gifHeader(view: DataView): ImageHeader | null {
  if (view.byteLength < 10) return null;
  return { format: 'gif', width: view.getUint16(6, true), height: view.getUint16(8, true) };
}

function bmpHeader(view: DataView): ImageHeader | null {
  if (view.byteLength < 26) return null;
  // BITMAPINFOHEADER: signed 32-bit width and height; a negative height means top-down rows.
  return { format: 'bmp', width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
}

function webpHeader(bytes: Uint8Array, view: DataView): ImageHeader | null {
  const chunk = ascii(bytes, 12, 4);
  // Each flavour keeps the size at a different place; the furthest field read ends at byte 30 (VP8, VP8X) or 25 (VP8L).
  if (view.byteLength < (chunk === 'VP8L' ? 25 : 30)) return null;
  if (chunk === 'VP8 ') return { format: 'webp', width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = view.getUint32(21, true);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    const uint24 = (at: number) => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
    return { format: 'webp', width: uint24(24) + 1, height: uint24(27) + 1 };
  }
  return null;
}

/** Walks the JPEG segments to the first start-of-frame marker, which holds the size. */
function jpegHeader(bytes: Uint8Array, view: DataView): ImageHeader | null {
  let at = 2;
  while (at + 9 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    }
    at += 2 + view.getUint16(at + 2);
  }
  return null;
}

/**
 * The format and pixel size of an image from its leading bytes (at least IMAGE_HEADER_BYTES of them, or the whole file
 * if shorter); null when the bytes are not a PNG, JPEG, GIF, WebP or BMP header. A valid header does not promise a
 * decodable file: the decoder still reports corrupt data.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: ImageHeader | null = null;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) header = pngHeader(view);
  else if (startsWith(bytes, [0xff, 0xd8, 0xff])) header = jpegHeader(bytes, view);
  else if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') header = gifHeader(view);
  else if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') header = webpHeader(bytes, view);
  else if (ascii(bytes, 0, 2) === 'BM') header = bmpHeader(view);
  return header && header.width > 0 && header.height > 0 ? header : null;
}
