"""Pure inspection: is this name, size and content acceptable? No I/O, no Flask, no S3.

The inline route and the S3 validator call the same functions, so a file gets the same
verdict whichever way it arrives. Reading (a request body, an S3 download) happens around it.
"""
