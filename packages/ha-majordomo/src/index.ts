/**
 * A highly available Majordomo broker: two `MajordomoBroker`s paired by
 * Binary Star through core's admission hook. See {@link HaMajordomoBroker}
 * and the `ha-majordomo-broker` command.
 *
 * @packageDocumentation
 */
export { HaMajordomoBroker, type HaMajordomoBrokerEvents, type HaMajordomoBrokerOptions, type HaMajordomoBrokerStats } from "./ha-broker.js";
