import type { RoleEvent } from "./report.js";

type Waiter = { match: (e: RoleEvent) => boolean; resolve: () => void };
const waiters = new Set<Waiter>();

/** Feeds every role event to the scenario steps waiting for one. */
export function notifyWaiters(event: RoleEvent): void {
  for (const w of waiters) {
    if (w.match(event)) {
      waiters.delete(w);
      w.resolve();
    }
  }
}

/** Resolves at the next role event matching `match`; rejects after `timeout`. */
export function nextStoryEvent(match: (e: RoleEvent) => boolean, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const waiter: Waiter = {
      match,
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
    };
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      reject(new Error("expected event did not arrive in time"));
    }, timeout);
    waiters.add(waiter);
  });
}
