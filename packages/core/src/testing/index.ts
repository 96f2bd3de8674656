/**
 * `@zmq-reliable/core/testing`: helpers for testing code built on
 * zmq-reliable: a fake clock, condition waits with deadlines, and child
 * processes you can freeze and kill.
 *
 * @packageDocumentation
 */
export { FakeClock } from "./fake-clock.js";
export { waitFor, type WaitForOptions } from "./wait.js";
export {
  ChildHandle,
  type ChildExit,
  killAllChildren,
  liveChildren,
  reservePort,
  spawnNode,
  type SpawnNodeOptions,
} from "./child.js";
