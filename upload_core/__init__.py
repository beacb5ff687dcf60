"""The upload service. Importing the package loads nothing but this docstring: the
validator never loads Flask, and the app is built by upload_core.http.create_app.

    config.py     every setting, read from the environment once and checked
    budget.py     the validator's time budget (the largest object it decides in time)
    errors.py     the error family and the table of stable codes
    upload.py     the upload record, its statuses and methods
    inspect/      pure rules and inspection: names, sizes, types, content (no I/O)
    s3/           the S3 layer: the store, S3 event records, owners' objects, S3's limits
    flows/        one Flask-free function per operation: inline, presign, multipart, deletion, quota
    http/         the Flask app: routes, identity, errors as JSON, CORS, the page, the gateway adapter
    validator.py  S3 event -> one decision per record; imports no Flask
    decision.py   the decision on one upload, as one sequence for every scanner, and why no
                  interleaving breaks it
    scan/         the scanning room: structure, clamd, GuardDuty side by side; the verdicts paired once
    sweep.py      on a schedule: what landed but was never decided (lost events, GuardDuty's deadline)
    steps.py      the pause hook the sequences that race call before each step
    notify.py     decision events on EventBridge (API.md "Events"), client made on first use
    telemetry/    JSON logs, EMF metrics, optional tracer around both entry points (Powertools)
"""
