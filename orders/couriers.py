"""The couriers sellers ship with, and where a buyer follows a parcel by its resi."""

from urllib.parse import quote

# Code: (name, public tracking page with {resi}); None where the courier offers no direct link.
COURIERS: dict[str, tuple[str, str | None]] = {
    "jne": ("JNE", "https://www.jne.co.id/tracking-package?resi={resi}"),
    "jnt": ("J&T Express", "https://jet.co.id/track?awb={resi}"),
    "sicepat": ("SiCepat", "https://www.sicepat.com/checkAwb?awb={resi}"),
    "anteraja": ("AnterAja", "https://anteraja.id/tracking/{resi}"),
    "pos": ("Pos Indonesia", "https://www.posindonesia.co.id/id/tracking?barcode={resi}"),
    "ninja": ("Ninja Xpress", "https://www.ninjaxpress.co/id-id/tracking?id={resi}"),
    "idexpress": ("ID Express", "https://idexpress.com/lacak-paket/?resi={resi}"),
    "other": ("Other", None),
}
COURIER_CHOICES = [(code, name) for code, (name, _url) in COURIERS.items()]
# What sellers type in a spreadsheet, to the code.
_ALIASES = {
    "j&t": "jnt",
    "jnt express": "jnt",
    "j&t express": "jnt",
    "jt": "jnt",
    "pos indonesia": "pos",
    "posindonesia": "pos",
    "ninja xpress": "ninja",
    "ninja express": "ninja",
    "ninjavan": "ninja",
    "id express": "idexpress",
    "ide": "idexpress",
    "anter aja": "anteraja",
    "si cepat": "sicepat",
}


def courier_code(text: str) -> str | None:
    """The courier's code from what a person wrote ("J&T", "jne", "SiCepat"), or None."""
    key = " ".join(text.strip().lower().split())
    if key in COURIERS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    for code, (name, _url) in COURIERS.items():
        if key == name.lower():
            return code
    return None


def courier_name(code: str) -> str:
    return COURIERS.get(code, (code, None))[0]


def tracking_url(code: str, resi: str) -> str | None:
    template = COURIERS.get(code, ("", None))[1]
    return template.format(resi=quote(resi.strip(), safe="")) if template and resi.strip() else None
