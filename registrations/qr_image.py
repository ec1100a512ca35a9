"""The pass's QR image: error correction M, the uppercase Base32 code in alphanumeric mode."""
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M

# One fixed mask pattern instead of qrcode's search: the search builds the symbol
# eight times and scores each in pure Python, about 5 of the 7 ms a code of ours
# costs at the mail's size, paid for every confirmation mail. Any of the eight
# masks is valid QR; on our codes (127 Base32 characters, version 6) mask 6 read
# as well as the searched one on clean images and better when downscaled and
# blurred (docs/benchmarks.md).
MASK_PATTERN = 6


def png(code, box_size=10):
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4, mask_pattern=MASK_PATTERN)
    qr.add_data(qrcode.util.QRData(code.upper(), mode=qrcode.util.MODE_ALPHA_NUM))
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out, format="PNG")
    return out.getvalue()
