// Reads QR codes from the phone's camera: the native BarcodeDetector where the browser has one
// (Chrome on Android), else qr-scanner (npm, in the build) decoding in a Web Worker.

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch (error) {
    return null;
  }
}

async function nativeCamera(video, detector, onCode) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  video.srcObject = stream;
  await video.play();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || video.readyState < 2) return;
    busy = true;
    try {
      const codes = await detector.detect(video);
      if (codes.length) onCode(codes[0].rawValue);
    } catch (error) {
      // A frame that could not be read: try the next one.
    } finally {
      busy = false;
    }
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      stream.getTracks().forEach((track) => track.stop());
      video.srcObject = null;
    },
  };
}

// Starts the camera; resolves to {stop()} or rejects (no decoder: "no-decoder"; camera refused).
export async function startCamera(video, vendor, onCode) {
  const detector = await nativeDetector();
  if (detector) return nativeCamera(video, detector, onCode);
  if (vendor && vendor.QrScanner) {
    const scanner = new vendor.QrScanner(video, (result) => onCode(result.data), {
      returnDetailedScanResult: true,
      preferredCamera: "environment",
      maxScansPerSecond: 8,
      onDecodeError: () => {},
    });
    await scanner.start();
    return { stop: () => { scanner.stop(); scanner.destroy(); } };
  }
  throw new Error("no-decoder");
}
