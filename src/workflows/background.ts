// Tracks work a workflow started but does not wait for (notifications), so it can drain it before ending.

export class Background {
  private readonly pending = new Set<Promise<void>>();

  run(task: Promise<void>): void {
    const tracked: Promise<void> = task.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  get size(): number {
    return this.pending.size;
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
