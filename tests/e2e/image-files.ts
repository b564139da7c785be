/**
 * Image files made at test time (no binary fixtures in the repository): a minimal PNG encoder, and broken files of the
 * kinds users drop by mistake.
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB
  return chunk('IHDR', header);
}

/** An RGB PNG whose pixel (x, y) has the colour `colourAt(x, y)`. */
export function encodePng(width: number, height: number, colourAt: (x: number, y: number) => [number, number, number]): Buffer {
  const raw = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(colourAt(x, y), y * (width * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array())]);
}

/** A PNG whose header is valid but whose image data is garbage: it passes the header check and fails to decode. */
export function corruptPng(width = 16, height = 16): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height), chunk('IDAT', Buffer.from('this is not zlib data at all')), chunk('IEND', new Uint8Array())]);
}

/** Only a PNG header claiming width × height pixels: the size check must refuse it before anything is decoded. */
export function hugePngHeader(width: number, height: number): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height)]);
}

/** A simple picture per class so a model can tell them apart: a filled disc or horizontal stripes, in varied colours. */
export function classPicture(kind: 'disc' | 'stripes', variant: number, size = 40): Buffer {
  const hue: [number, number, number] = [(variant * 70) % 256, (variant * 130 + 60) % 256, (variant * 200 + 120) % 256];
  return encodePng(size, size, (x, y) => {
    const on = kind === 'disc'
      ? (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2
      : Math.floor(y / 5) % 2 === 0;
    return on ? hue : [250, 250, 250];
  });
}
