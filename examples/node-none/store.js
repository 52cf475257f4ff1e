// In-memory log store: entries are lost when the process exits.
export class MemoryStore {
  #entries = [];

  ping() {}

  add(message) {
    const entry = { id: this.#entries.length + 1, message };
    this.#entries.push(entry);
    return entry;
  }

  list() {
    return this.#entries.slice();
  }
}
