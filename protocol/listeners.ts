/** The callbacks subscribed to one kind of event; the owner calls them in its own way (each guarded, …). */
export class Listeners<T> extends Set<(value: T) => void> {
  /** Adds `listener`; returns the function that removes it again. */
  subscribe(listener: (value: T) => void): () => void {
    this.add(listener);
    return () => this.delete(listener);
  }
}
