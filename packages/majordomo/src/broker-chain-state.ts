/**
 * An intrusive doubly linked list for the broker's queues: each value owns
 * its {@link Link} for life, so joining or leaving a list allocates nothing
 * (core's `LinkedList` allocates a node per push). Used for service request
 * queues, idle-worker lists and the request-expiry list.
 *
 * @module
 */

/** A value's membership handle in one {@link Chain}; allocated once per value. */
export class Link<T> {
  /** Previous link, towards the head. */
  prev: Link<T> | undefined = undefined;
  /** Next link, towards the tail. */
  next: Link<T> | undefined = undefined;
  /** The chain the link is in, `undefined` when in none. */
  chain: Chain<T> | undefined = undefined;

  /** @param value - the value this link belongs to. */
  constructor(readonly value: T) {}
}

/** A list of {@link Link}s: O(1) push at either end, shift and removal by link. */
export class Chain<T> {
  /** First link, or `undefined`. */
  head: Link<T> | undefined = undefined;
  /** Last link, or `undefined`. */
  tail: Link<T> | undefined = undefined;
  /** Number of links. */
  length = 0;

  /**
   * Appends `link` (which must be in no chain).
   *
   * @param link - the link to append.
   */
  push(link: Link<T>): void {
    link.chain = this;
    link.prev = this.tail;
    link.next = undefined;
    if (this.tail) this.tail.next = link;
    else this.head = link;
    this.tail = link;
    this.length++;
  }

  /**
   * Prepends `link` (which must be in no chain).
   *
   * @param link - the link to prepend.
   */
  unshift(link: Link<T>): void {
    link.chain = this;
    link.next = this.head;
    link.prev = undefined;
    if (this.head) this.head.prev = link;
    else this.tail = link;
    this.head = link;
    this.length++;
  }

  /** Removes and returns the head value, or `undefined` when empty. */
  shift(): T | undefined {
    const link = this.head;
    if (!link) return undefined;
    this.remove(link);
    return link.value;
  }

  /**
   * Removes `link` if it is in this chain.
   *
   * @param link - the link to remove.
   * @returns whether it was in this chain.
   */
  remove(link: Link<T>): boolean {
    if (link.chain !== this) return false;
    if (link.prev) link.prev.next = link.next;
    else this.head = link.next;
    if (link.next) link.next.prev = link.prev;
    else this.tail = link.prev;
    link.prev = link.next = undefined;
    link.chain = undefined;
    this.length--;
    return true;
  }

  /** Iterates values from head to tail; safe against removal of the current one. */
  *[Symbol.iterator](): IterableIterator<T> {
    let link = this.head;
    while (link) {
      const next = link.next;
      yield link.value;
      link = next;
    }
  }
}
