from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Compile every .po file of the project into .mo (like compilemessages, but in pure "
        "Python, so no GNU gettext is needed on the machine)."
    )
    requires_system_checks = []  # a build step, like compilemessages: it reads no settings' state

    def handle(self, *args, **options):
        root = Path(settings.BASE_DIR)
        count = 0
        for po_path in sorted(root.glob("*/locale/*/LC_MESSAGES/*.po")) + sorted(
            root.glob("locale/*/LC_MESSAGES/*.po")
        ):
            if ".venv" in po_path.parts:
                continue
            try:
                catalog = polib.pofile(str(po_path))
            except OSError as exc:
                raise CommandError(f"{po_path}: {exc}") from exc
            catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
            count += 1
        self.stdout.write(f"Compiled {count} translation catalogue(s).")
