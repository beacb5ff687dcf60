"""Lambda entry points. Built once per container, at import, without network calls."""
from upload_core import create_app
from upload_core.gateway import make_api_handler
from upload_core.validator import make_validate_handler

app = create_app()
api = make_api_handler(app)
validate = make_validate_handler(app.extensions["upload_store"], app.extensions["upload_config"])
