/**
 * What the broker's rules produce while handling one input: the sends on the
 * ROUTER and the events, in order, with the counters kept as they go. The
 * client rules (`broker-state.ts`) and the worker rules
 * (`broker-worker-rules-state.ts`) write to the same outbox.
 *
 * @module
 */
import type { EmitAction } from "@zmq-reliable/core";
import { EMPTY } from "@zmq-reliable/core";
import type { BrokerCounters } from "./broker-counters-state.js";
import type { RouterSend } from "./broker-dispatch-state.js";
import { send } from "./broker-dispatch-state.js";
import type { BrokerStateEvents, DropEvent, DropReason } from "./broker-events.js";
import type { ServiceTable } from "./broker-queues-state.js";
import { DISCONNECT_FRAME, MDPW_FRAME } from "./protocol.js";

/** What the broker state asks for: sends on the ROUTER and events. */
export type BrokerAction = RouterSend | EmitAction<BrokerStateEvents>;

const NO_ACTIONS: BrokerAction[] = [];

/** The actions of the input being handled, and the helpers that add them. */
export class Outbox {
  private actions: BrokerAction[] = NO_ACTIONS;

  /**
   * @param counters - the broker's counters (drops and DISCONNECTs are counted here).
   * @param services - the services, whose own figures count their drops.
   */
  constructor(
    private readonly counters: BrokerCounters,
    private readonly services: ServiceTable,
  ) {}

  /** Starts the actions of a new input. */
  open(): void {
    this.actions = [];
  }

  /** Ends the input: returns its actions, in order. */
  close(): BrokerAction[] {
    const actions = this.actions;
    this.actions = NO_ACTIONS;
    return actions;
  }

  /**
   * Appends one action (what dispatch writes its sends to).
   *
   * @param action - a send or an event.
   */
  push(action: BrokerAction): number {
    return this.actions.push(action);
  }

  /**
   * Emits an event.
   *
   * @param event - its name.
   * @param args - its payload.
   */
  emit<K extends keyof BrokerStateEvents>(event: K, ...args: BrokerStateEvents[K]): void {
    this.actions.push({ type: "emit", event, args } as EmitAction<BrokerStateEvents>);
  }

  /**
   * Counts a drop and reports it (`drop` event).
   *
   * @param reason - why.
   * @param service - the service, when known.
   * @param peer - the peer's routing id as hex, when known.
   * @param detail - more, for the log.
   */
  drop(reason: DropReason, service: string | undefined, peer: string | undefined, detail?: string): void {
    this.counters.drop(reason);
    if (service !== undefined) this.services.get(service)?.figures.drop(reason);
    const event: DropEvent = { type: "drop", reason };
    if (service !== undefined) event.service = service;
    if (peer !== undefined) event.peer = peer;
    if (detail !== undefined) event.detail = detail;
    this.emit("drop", event);
  }

  /**
   * Sends DISCONNECT to a worker (or a peer that claims to be one).
   *
   * @param id - its routing id.
   */
  disconnect(id: Buffer): void {
    this.counters.disconnectsSent++;
    this.actions.push(send([id, EMPTY, MDPW_FRAME, DISCONNECT_FRAME]));
  }
}
