/**
 * A doubly linked list with O(1) push at either end, shift, and removal of any
 * node by handle. The broker needs removal from the middle (an idle worker
 * that expires, a queued request that expires), which core's `Fifo` cannot do.
 *
 * @module
 * @internal
 */

/** A node of a {@link LinkedList}; keep it to remove the value later. @internal */
export class ListNode<T> {
  /** Previous node, towards the head. */
  prev: ListNode<T> | undefined = undefined;
  /** Next node, towards the tail. */
  next: ListNode<T> | undefined = undefined;
  /** The list the node is in, `undefined` once removed. */
  list: LinkedList<T> | undefined = undefined;

  /** @param value - the value carried. */
  constructor(readonly value: T) {}
}

/** Doubly linked list; see the module comment. @internal */
export class LinkedList<T> {
  /** First node, or `undefined`. */
  head: ListNode<T> | undefined = undefined;
  /** Last node, or `undefined`. */
  tail: ListNode<T> | undefined = undefined;
  /** Number of nodes. */
  length = 0;

  /** Appends `value`; returns its node. */
  push(value: T): ListNode<T> {
    const node = new ListNode(value);
    node.list = this;
    node.prev = this.tail;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.length++;
    return node;
  }

  /** Prepends `value`; returns its node. */
  unshift(value: T): ListNode<T> {
    const node = new ListNode(value);
    node.list = this;
    node.next = this.head;
    if (this.head) this.head.prev = node;
    else this.tail = node;
    this.head = node;
    this.length++;
    return node;
  }

  /** Removes and returns the head value, or `undefined` when empty. */
  shift(): T | undefined {
    const node = this.head;
    if (!node) return undefined;
    this.remove(node);
    return node.value;
  }

  /** Removes `node` if it is in this list; returns whether it was. */
  remove(node: ListNode<T>): boolean {
    if (node.list !== this) return false;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = undefined;
    node.list = undefined;
    this.length--;
    return true;
  }

  /** Iterates values from head to tail; safe against removal of the current node. */
  *[Symbol.iterator](): IterableIterator<T> {
    let node = this.head;
    while (node) {
      const next = node.next;
      yield node.value;
      node = next;
    }
  }
}
