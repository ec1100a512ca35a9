"""The pass's QR image: error correction M, the uppercase Base32 code in alphanumeric mode."""
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def png(code, box_size=10):
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(qrcode.util.QRData(code.upper(), mode=qrcode.util.MODE_ALPHA_NUM))
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out, format="PNG")
    return out.getvalue()
