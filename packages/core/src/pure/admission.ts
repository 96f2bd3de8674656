/**
 * The admission hook: how a server asks "may I serve this request now?". It is
 * the seam where two patterns compose without importing each other: a
 * Majordomo broker consults it, a Binary Star node implements it.
 *
 * @module
 */

/** What a server knows about a request when it asks for admission. */
export interface AdmissionRequest {
  /** The requested service, for brokers that have services. */
  service?: string;
}

/**
 * Decides, synchronously and cheaply, whether a client request may be served
 * now. Returning `false` means the server drops the request unanswered (the
 * client's retry will find the server that may serve it). Implementations may
 * change their own state when asked, as a Binary Star node does on a client vote.
 */
export interface AdmissionHook {
  /**
   * @param request - what is known of the request.
   * @returns `true` to serve it, `false` to drop it.
   */
  admit(request: AdmissionRequest): boolean;
}

/** An {@link AdmissionHook} that admits everything (the default of every server). */
export const ALWAYS_ADMIT: AdmissionHook = { admit: () => true };
