/**
 * The Z85 codec (ZeroMQ RFC 32), pure: CURVE keys are 32 bytes written as
 * 40 characters of Z85.
 *
 * @module
 */
import { InvalidOptionError } from "./errors.js";

const Z85_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const Z85_DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < Z85_CHARS.length; i++) Z85_DECODE[Z85_CHARS.charCodeAt(i)] = i;

/**
 * Encodes bytes as Z85 (ZeroMQ RFC 32). The length must be a multiple of 4.
 *
 * @param data - bytes to encode, e.g. a 32-byte CURVE key.
 * @throws {@link InvalidOptionError} when the length is not a multiple of 4.
 */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw new InvalidOptionError(`Z85 input length must be a multiple of 4, got ${data.length}`);
  let out = "";
  for (let i = 0; i < data.length; i += 4) {
    let value = ((data[i]! << 24) >>> 0) + (data[i + 1]! << 16) + (data[i + 2]! << 8) + data[i + 3]!;
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = Z85_CHARS[value % 85]!;
      value = Math.floor(value / 85);
    }
    out += chunk.join("");
  }
  return out;
}

/**
 * Decodes a Z85 string (ZeroMQ RFC 32). The length must be a multiple of 5.
 *
 * @param text - Z85 text, e.g. a 40-character CURVE key.
 * @throws {@link InvalidOptionError} on a bad length or character.
 */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new InvalidOptionError(`Z85 input length must be a multiple of 5, got ${text.length}`);
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? Z85_DECODE[code]! : -1;
      if (digit < 0) throw new InvalidOptionError(`Invalid Z85 character at ${i + j}`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new InvalidOptionError(`Z85 group at ${i} overflows 32 bits`);
    out.writeUInt32BE(value, o);
  }
  return out;
}
