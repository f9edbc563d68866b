/**
 * Which windows may be committed: windows are read concurrently and finish in any order, but the checkpoint's
 * watermark may only move past a window once it and every window before it are complete. Pure bookkeeping: windows
 * are registered in the order they cover time, marked complete as they finish, and handed back as the complete
 * prefix, each exactly once.
 */
export class OrderedCommit<T> {
  private readonly pending: { item: T; complete: boolean }[] = [];
  /** Sequence number of pending[0]. */
  private base = 0;

  /** Registers the next window in time order; returns its sequence number. */
  add(item: T): number {
    this.pending.push({ item, complete: false });
    return this.base + this.pending.length - 1;
  }

  /** Marks a registered, not yet handed back window complete. */
  complete(seq: number): void {
    const slot = this.pending[seq - this.base];
    if (slot === undefined) throw new RangeError(`window ${seq} is not pending`);
    if (slot.complete) throw new RangeError(`window ${seq} was already complete`);
    slot.complete = true;
  }

  /** Removes and returns the complete windows at the front, oldest first (empty while the oldest is still open). */
  takeReady(): T[] {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.complete) n++;
    this.base += n;
    return this.pending.splice(0, n).map((slot) => slot.item);
  }

  /** Windows registered and not handed back yet (complete or not). */
  get size(): number {
    return this.pending.length;
  }
}
