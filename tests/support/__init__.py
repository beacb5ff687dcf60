"""What every test tier shares: sample builders, helpers, and the local stack's runner.

Tests import from here, never from a conftest: conftest files only declare fixtures.
"""
