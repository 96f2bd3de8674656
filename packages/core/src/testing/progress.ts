/**
 * The one-line progress display of the harnesses and benchmarks.
 *
 * @module
 */

/**
 * A progress line on stderr: rewritten in place on a terminal, a plain line
 * every few seconds otherwise (so a log file stays short).
 */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private lastLine = -Infinity;
  private current = "";

  /**
   * Shows `text` (throttled when stderr is not a terminal).
   *
   * @param text - the status.
   */
  show(text: string): void {
    this.current = text;
    if (this.tty) process.stderr.write(`\r\u001b[K${text}`);
    else if (performance.now() - this.lastLine >= 3000) {
      this.lastLine = performance.now();
      process.stderr.write(`${text}\n`);
    }
  }

  /** Ends the progress line (on a terminal), so the next output starts on a clean line. */
  end(): void {
    if (this.tty && this.current) process.stderr.write("\r\u001b[K");
    this.current = "";
  }
}
