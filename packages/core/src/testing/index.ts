/**
 * `@zmq-reliable/core/testing`: helpers for testing code built on
 * zmq-reliable: a fake clock, a harness that runs a pure machine on it,
 * condition waits with deadlines, a handler that holds calls (for concurrency
 * tests), child processes you can freeze and kill,
 * and report helpers for harnesses (memory and CPU of a process, text tables,
 * a progress line).
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
export { captureLogger, type CapturedLog, type CapturedRecord, type CaptureLoggerOptions } from "./capture-logger.js";
export { formatMb, readCpuMs, readRss, type Rss, RssSampler } from "./process-stats.js";
export { formatTable, type Row } from "./table.js";
export { Progress } from "./progress.js";
export { failingOnce, heldHandler, type HeldHandler } from "./held-handler.js";
