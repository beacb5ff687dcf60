"""One flow per operation, free of Flask: a route parses the request, calls a flow, and
shapes the answer; the flow applies the rules, talks to the store and decides.

    inline.py     validate bytes that came with the request and store them, accepted
    presign.py    decide PUT, POST or multipart for a declared file and sign it, with its expiry
    multipart.py  start, sign parts, list, complete and abort a multipart upload (both HTTP faces)
    deletion.py   delete an upload as one sequence: tombstone, objects, quota, record
    quota.py      the quota ledger: one entry per upload, following its size, closed once
"""
