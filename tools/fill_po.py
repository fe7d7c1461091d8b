"""Fill msgstr entries of a .po file from a JSON dictionary {msgid: translation}.

Usage: python tools/fill_po.py path/to/django.po translations.json
Only empty or fuzzy entries are filled; plural entries take the same text for every form
(Chinese has one form). Prints the msgids still untranslated.
"""

import json
import sys

import polib


def main(po_path: str, json_path: str) -> int:
    catalogue = polib.pofile(po_path)
    with open(json_path, encoding="utf-8") as handle:
        translations = json.load(handle)
    for entry in catalogue:
        if entry.obsolete:
            continue
        text = translations.get(entry.msgid)
        if text is None or (entry.translated() and not entry.fuzzy):
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = text
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
    catalogue.save(po_path)
    missing = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    for msgid in missing:
        print("untranslated:", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
