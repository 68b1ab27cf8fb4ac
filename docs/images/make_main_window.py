"""Re-make docs/images/main-window.png: the main window on the demo depot, signed in as the demo admin.

    .venv/bin/armoury --db /tmp/demo.sqlite3 demo --seed 1
    ../shared/tools/screenshot docs/images/main-window.png 14 .venv/bin/python docs/images/make_main_window.py /tmp/demo.sqlite3

The demo administrator's password is the one the sign-in screen shows for a demo database.
"""

import sys

from PySide6.QtCore import QSettings

from armoury.services.auth import authenticate
from armoury.services.demo_users import DEMO_USERS
from ui import app

qt_app = app.make_application()
app.load_language(qt_app, sys.argv[2] if len(sys.argv) > 2 else None)
QSettings().setValue("main/last_weapon", 1136)
db = app.prepare_database("sqlite:///" + sys.argv[1], False)
admin = next(user for user in DEMO_USERS if user.username == "admin")
window = app.build_window(db, authenticate(db, admin.username, admin.password))
window.show()
window.load()
sys.exit(qt_app.exec())
