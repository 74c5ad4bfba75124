"""A device and a network in a few words, for "Recent activity" and the sign-ins behind it.

Never the User-Agent string or the whole address: enough for a person to tell their own
phone from a stranger's, not enough to locate anyone.
"""

import ipaddress

# Words looked for in a User-Agent, first match wins (Edge and Opera also say "Chrome",
# Chrome also says "Safari", Android also says "Linux").
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("FxiOS", "Firefox"),
    ("Firefox", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
)


def device_words(user_agent):
    """A browser and system in a few words ("Firefox on Android"), from a User-Agent."""
    user_agent = user_agent or ""
    browser = next((name for word, name in BROWSERS if word in user_agent), "A browser")
    system = next((name for word, name in SYSTEMS if word in user_agent), None)
    return f"{browser} on {system}" if system else browser


def network_start(address):
    """The start of an address: "203.0.113." (IPv4 /24) or "2001:db8:85a3:" (IPv6 /48).

    An IPv4 address as a dual-stack listener gives it ("::ffff:203.0.113.77", gunicorn bound
    to [::]) is read as the IPv4 address it is: its /48 was "0:0:0:", so every phone on IPv4
    was listed as "from an address starting 0:…". A link-local address's zone ("%eth0") is
    left out (Python 3.11's `exploded` raises on it)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return ""
    ip = getattr(ip, "ipv4_mapped", None) or ip
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + "."
    return ":".join(f"{int(part, 16):x}" for part in ip.exploded.split(":")[:3]) + ":"
