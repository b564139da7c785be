/** Image decoding in a worker, shared by the folder import and "try the model": one image to the pixels a dataset holds. */
import { centreSquare, rgbaToPixels, type ImportColour } from '../core/data/user-import';

/** Centre square of the image, resized by the browser's high-quality scaler, drawn on white (transparent pixels). */
export async function decodeToPixels(file: Blob, options: { side: number; colour: ImportColour }, canvas: OffscreenCanvas): Promise<Uint8Array> {
  // The decoded bitmap is already turned by the EXIF orientation, so the square is taken from its size, not the header's.
  const full = await createImageBitmap(file);
  let small: ImageBitmap;
  try {
    const square = centreSquare(full.width, full.height);
    small = await createImageBitmap(full, square.x, square.y, square.side, square.side, {
      resizeWidth: options.side, resizeHeight: options.side, resizeQuality: 'high',
    });
  } finally {
    full.close();
  }
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, options.side, options.side);
  context.drawImage(small, 0, 0);
  small.close();
  return rgbaToPixels(context.getImageData(0, 0, options.side, options.side).data, options.colour);
}
