/**
 * `@zmq-reliable/core/testing`: helpers for testing code built on
 * zmq-reliable: a fake clock, a harness that runs a pure machine on it,
 * condition waits with deadlines, and child processes you can freeze and kill.
 *
 * @packageDocumentation
 */
export { FakeClock } from "./fake-clock.js";
export {
  type ActionOfType,
  type EmittedEvent,
  type MachineAction,
  MachineHarness,
  type MachineHarnessOptions,
  type MachineInput,
  type RecordedAction,
  type TypeTag,
} from "./machine-harness.js";
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
export { RecordingRelay } from "./relay.js";
export { captureLogger, type CapturedLog } from "./capture-logger.js";
