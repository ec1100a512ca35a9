// The npm packages the scanner page uses, bundled by esbuild into checkin/static/build/vendor.js
// (`npm run build`). The page loads this bundle when it exists and does without it otherwise.
import QrScanner from "qr-scanner";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { openDB } from "idb";

// Synchronous SHA-512 from @noble/hashes: works where crypto.subtle is missing (plain http on a LAN).
ed.hashes.sha512 = sha512;

export { QrScanner, openDB };

export function ed25519Verify(signature, message, publicKey) {
  try {
    return ed.verify(signature, message, publicKey);
  } catch (error) {
    return false;
  }
}
