"""QR codes as inline SVG, for the share link's page and two-factor set-up.

segno draws with presentation attributes (fill, stroke) only, no `style`, so the markup
passes a Content-Security-Policy without 'unsafe-inline'; dark on white whatever the page's
colours, so any camera reads it.

Drawing one takes about 20 ms (segno tries all eight masks and keeps the one a camera reads
best), and the same code is drawn again and again: two-factor set-up shows the same secret's
code on every reload and after every wrong code, a share link's page the same link's. So each
process keeps the last QR_KEPT codes drawn. They hold what the pages already show to the person
they belong to (a secret waiting to be confirmed, which the session cookie also carries; a
share link's address), kept in the server's memory, never written anywhere.
"""

from functools import lru_cache

import segno
from markupsafe import Markup

QR_KEPT = 64


@lru_cache(maxsize=QR_KEPT)
def qr_svg(text, label, pixels_per_module=5):
    """The QR code of `text` as inline SVG, `pixels_per_module` pixels a module, named
    `label` for screen readers. The same arguments give the same markup (kept: see above)."""
    qr = segno.make(text, error="m")
    size = qr.symbol_size()[0] * pixels_per_module
    svg = qr.svg_inline(
        scale=1, dark="#000", light="#fff", svgclass="qr", lineclass=None, omitsize=True
    )
    attrs = f'width="{size}" height="{size}" role="img" aria-label="{Markup.escape(label)}"'
    # Trusted markup: segno writes only numbers and path data, never the text it encodes.
    return Markup(svg.replace("<svg ", f"<svg {attrs} ", 1))  # noqa: S704
