import type { Attachment } from 'svelte/attachments';

/** A width × height image as a dataset holds it: HWC bytes, grey (1 channel) or RGB (3). */
export interface PixelImage {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** Paints the image onto its canvas at native size (give the canvas its width and height); CSS scales it up. */
export const paintPixels = ({ width, height, channels, pixels }: PixelImage): Attachment<HTMLCanvasElement> => (canvas) => {
  const image = new ImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) image.data[i * 4 + c] = pixels[i * channels + (channels === 3 ? c : 0)]!;
    image.data[i * 4 + 3] = 255;
  }
  canvas.getContext('2d')?.putImageData(image, 0, 0);
};
