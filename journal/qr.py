"""QR codes as inline SVG, for the share link's page and two-factor set-up.

segno draws with presentation attributes (fill, stroke) only, no `style`, so the markup
passes a Content-Security-Policy without 'unsafe-inline'; dark on white whatever the page's
colours, so any camera reads it.
"""

import segno
from markupsafe import Markup


def qr_svg(text, label, pixels_per_module=5):
    """The QR code of `text` as inline SVG, `pixels_per_module` pixels a module, named
    `label` for screen readers."""
    qr = segno.make(text, error="m")
    size = qr.symbol_size()[0] * pixels_per_module
    svg = qr.svg_inline(
        scale=1, dark="#000", light="#fff", svgclass="qr", lineclass=None, omitsize=True
    )
    attrs = f'width="{size}" height="{size}" role="img" aria-label="{Markup.escape(label)}"'
    # Trusted markup: segno writes only numbers and path data, never the text it encodes.
    return Markup(svg.replace("<svg ", f"<svg {attrs} ", 1))  # noqa: S704
