/**
 * Small O(1) data structures for brokers' hot paths.
 *
 * @module
 */

/** A FIFO queue with O(1) push and shift (amortised), unlike `Array.prototype.shift`. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Number of queued items. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends an item at the tail. */
  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the head, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Returns the head without removing it. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes every item and returns them in order. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }

  /** Iterates from head to tail. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }
}

/** A node of a {@link LinkedList}; keep it to remove the value later. */
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

/** A doubly linked list with O(1) push at either end, shift, and removal of any node by handle (which {@link Fifo} cannot do).*/
export class LinkedList<T> {
  /** First node, or `undefined`. */
  head: ListNode<T> | undefined = undefined;
  /** Last node, or `undefined`. */
  tail: ListNode<T> | undefined = undefined;
  /** Number of nodes. */
  length = 0;

  /**
   * Appends `value`; returns its node.
   *
   * @param value - the value to append.
   */
  push(value: T): ListNode<T> {
    return this.pushNode(new ListNode(value));
  }

  /**
   * Prepends `value`; returns its node.
   *
   * @param value - the value to prepend.
   */
  unshift(value: T): ListNode<T> {
    return this.unshiftNode(new ListNode(value));
  }

  /**
   * Appends a node the caller keeps for life (in no list now), so that moving
   * a value between lists allocates nothing.
   *
   * @param node - a node in no list.
   */
  pushNode(node: ListNode<T>): ListNode<T> {
    node.list = this;
    node.prev = this.tail;
    node.next = undefined;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.length++;
    return node;
  }

  /**
   * Prepends a node the caller keeps for life (in no list now).
   *
   * @param node - a node in no list.
   */
  unshiftNode(node: ListNode<T>): ListNode<T> {
    node.list = this;
    node.prev = undefined;
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

/** A key of an {@link ExpiryQueue} and its deadline. */
export interface ExpiryEntry<K> {
  /** The key. */
  readonly key: K;
  /** When it expires, ms. */
  deadline: number;
}

/** What an {@link ExpiryQueue} needs of its key index: the part of `Map` an `IdMap` also has. */
export interface ExpiryIndex<K> {
  /** Number of keys. */
  readonly size: number;
  /** The node of `key`. */
  get(key: K): ListNode<ExpiryEntry<K>> | undefined;
  /** Whether `key` is indexed. */
  has(key: K): boolean;
  /** Indexes `key`. */
  set(key: K, node: ListNode<ExpiryEntry<K>>): unknown;
  /** Forgets `key`. */
  delete(key: K): boolean;
}

/**
 * Tracks expiry deadlines that all share one time-to-live. Because every
 * refresh moves a key to the back, keys stay ordered by deadline, so
 * {@link ExpiryQueue.touch} is O(1) and {@link ExpiryQueue.popExpired} costs
 * O(expired keys): no scans of all peers. A refresh moves the key's node in a
 * linked list and leaves the key's map entry alone: a long-lived `Map` that
 * deletes and re-adds a key per refresh reallocates its table every few
 * refreshes when small (see `id-map.ts`).
 */
export class ExpiryQueue<K> {
  private readonly order = new LinkedList<ExpiryEntry<K>>();

  /**
   * @param ttl - milliseconds from the last touch to expiry.
   * @param nodes - the key index; pass an `IdMap` when keys are integer ids
   *   added and deleted per request (see `id-map.ts`). Default a `Map`.
   */
  constructor(
    readonly ttl: number,
    private readonly nodes: ExpiryIndex<K> = new Map<K, ListNode<ExpiryEntry<K>>>(),
  ) {}

  /** Number of tracked keys. */
  get size(): number {
    return this.nodes.size;
  }

  /** Starts or refreshes `key`'s deadline at `now + ttl`. */
  touch(key: K, now: number): void {
    const node = this.nodes.get(key);
    if (node === undefined) {
      this.nodes.set(key, this.order.push({ key, deadline: now + this.ttl }));
      return;
    }
    node.value.deadline = now + this.ttl;
    if (node !== this.order.tail) {
      this.order.remove(node);
      this.order.pushNode(node);
    }
  }

  /** Stops tracking `key`. */
  delete(key: K): boolean {
    const node = this.nodes.get(key);
    if (node === undefined) return false;
    this.nodes.delete(key);
    this.order.remove(node);
    return true;
  }

  /** Whether `key` is tracked. */
  has(key: K): boolean {
    return this.nodes.has(key);
  }

  /** The deadline of `key`, if tracked. */
  deadlineOf(key: K): number | undefined {
    return this.nodes.get(key)?.value.deadline;
  }

  /** The earliest deadline, or `Infinity` when empty. */
  nextDeadline(): number {
    return this.order.head?.value.deadline ?? Number.POSITIVE_INFINITY;
  }

  /** Removes and returns every key whose deadline is at or before `now`, oldest first. */
  popExpired(now: number): K[] {
    const out: K[] = [];
    let node = this.order.head;
    while (node !== undefined && node.value.deadline <= now) {
      this.order.remove(node);
      this.nodes.delete(node.value.key);
      out.push(node.value.key);
      node = this.order.head;
    }
    return out;
  }

  /** Iterates keys in deadline order. */
  *keys(): IterableIterator<K> {
    for (const entry of this.order) yield entry.key;
  }
}
