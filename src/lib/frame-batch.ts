/**
 * Collects items and hands them over at most once per animation frame. A fast run streams many step events a second;
 * redrawing charts and tables for each would keep the main thread busy for nothing the eye can see.
 */
export class FrameBatch<T> {
  private pending: T[] = [];
  private frame: number | null = null;

  constructor(private readonly deliver: (items: T[]) => void) {}

  push(item: T): void {
    this.pending.push(item);
    this.frame ??= requestAnimationFrame(() => this.flush());
  }

  /** Delivers what is pending now (call before an event that must come after them, e.g. the end of a run). */
  flush(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.deliver(items);
  }

  /** Drops what is pending (a new run starts). */
  clear(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.pending = [];
  }
}
