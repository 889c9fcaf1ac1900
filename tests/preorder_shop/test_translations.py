"""Every text has an Indonesian translation, and the compiled catalog (kept
in git for machines without gettext) says the same as the source."""

import ast
import re
from pathlib import Path

from django.utils import translation

from payments.models import Payment

PO_FILE = Path(__file__).resolve().parents[2] / "locale" / "id" / "LC_MESSAGES" / "django.po"


def _entries():
    """(msgid, msgstr) of each singular entry; plural entries as (msgid, msgstr[0])."""
    entries, current, field = [], {}, None
    for line in PO_FILE.read_text(encoding="utf-8").splitlines() + [""]:
        match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr|msgstr\[0\]|msgstr\[\d+\]) (".*")$', line)
        if match:
            field = match.group(1)
            current[field] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
        elif not line.strip():
            if current.get("msgid"):
                entries.append((current["msgid"], current.get("msgstr", current.get("msgstr[0]", "")), current))
            current, field = {}, None
    return entries


def test_every_text_is_translated_to_indonesian():
    entries = _entries()
    assert len(entries) > 100, "the catalog was not read: no entry, nothing checked"
    untranslated = [msgid for msgid, msgstr, _ in entries if not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in PO_FILE.read_text(encoding="utf-8").split('msgid "', 2)[2]


def test_the_compiled_catalog_matches_the_source():
    stale = []
    entries = _entries()
    assert len(entries) > 100, "the catalog was not read: no entry, nothing checked"
    with translation.override("id"):
        for msgid, msgstr, entry in entries:
            if "msgctxt" in entry:
                shown = translation.pgettext(entry["msgctxt"], msgid)
            elif "msgid_plural" in entry:
                shown = translation.ngettext(msgid, entry["msgid_plural"], 1)
            else:
                shown = translation.gettext(msgid)
            if shown != msgstr:
                stale.append(msgid)
    assert stale == [], "run: python manage.py compilemessages -l id"


def test_the_seller_admin_names_the_payment_gateway_in_indonesian():
    with translation.override("id"):
        assert str(Payment.Method.GATEWAY.label) == "Gateway pembayaran"
