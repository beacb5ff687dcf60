"""The upload service. Importing the package loads nothing but this docstring: the
validator never loads Flask, and the app is built by upload_core.http.create_app.

    config.py     every setting, read from the environment once and checked
    errors.py     the error family and the table of stable codes
    upload.py     the upload record, its statuses and methods
    events.py     typed S3 event records (keys decoded once)
    inspect/      pure rules and inspection: names, sizes, types, content (no I/O)
    s3/           the S3 layer: the store, S3's limits, multipart arithmetic
    flows/        one Flask-free function per operation: inline, presign, multipart
    http/         the Flask app: routes, errors as JSON, CORS, the page, the API Gateway adapter
    validator.py  S3 event -> decision (accepted or rejected); imports no Flask
    notify.py     decision events on EventBridge (API.md "Events"), client made on first use
    telemetry/    JSON logs, EMF metrics, optional tracer around both entry points (Powertools)
"""
