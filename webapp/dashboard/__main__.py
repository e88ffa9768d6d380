"""`python -m dashboard` (from webapp/): serve the records in RECORDS_DIR on PORT with Flask's server."""

import os

from dashboard.app import create_app

port = int(os.environ.get("PORT", "8080"))
print(f"Self-Healing CI dashboard on http://127.0.0.1:{port}/ (records from {os.environ.get('RECORDS_DIR', 'out')})")
create_app().run(host="127.0.0.1", port=port)
