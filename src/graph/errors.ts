/** A graph that cannot be built as asked: wrong shapes, dtypes or arguments. Messages name the node. */
export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}
