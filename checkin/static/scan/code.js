// Pass codes as registrations/pass_codes.py writes them: uppercase Base32 (no padding) of
// 15 payload bytes (version 1, festival id u32, public id 8 bytes, serial u16) and a 64-byte
// Ed25519 signature. Verified with WebCrypto where it has Ed25519, else @noble/ed25519.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
export const CODE_LENGTH = 127;
const PAYLOAD = 15;
const SIGNATURE = 64;

export function base32Decode(text) {
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) return null;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// {festivalId, publicId (hex), serial, payload, signature} or null when unreadable.
export function parseCode(code) {
  const text = String(code || "").trim().toUpperCase();
  if (text.length !== CODE_LENGTH) return null;
  const raw = base32Decode(text);
  if (!raw || raw.length !== PAYLOAD + SIGNATURE) return null;
  const view = new DataView(raw.buffer);
  if (view.getUint8(0) !== 1) return null;
  return {
    festivalId: view.getUint32(1),
    publicId: hex(raw.slice(5, 13)),
    serial: view.getUint16(13),
    payload: raw.slice(0, PAYLOAD),
    signature: raw.slice(PAYLOAD),
  };
}

let webCryptoWorks = null; // unknown until tried once

async function webCryptoVerify(key, signature, payload) {
  const imported = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, imported, signature, payload);
}

// true / false, or null when this browser has no way to check an Ed25519 signature.
export async function verifySignature(parsed, keys, vendor) {
  for (const key of keys) {
    if (webCryptoWorks !== false && window.crypto && crypto.subtle) {
      try {
        const ok = await webCryptoVerify(key, parsed.signature, parsed.payload);
        webCryptoWorks = true;
        if (ok) return true;
        continue;
      } catch (error) {
        webCryptoWorks = false;
      }
    }
    if (vendor && vendor.ed25519Verify) {
      if (vendor.ed25519Verify(parsed.signature, parsed.payload, key)) return true;
      continue;
    }
    return null;
  }
  return false;
}
