"""A kitchen for a team of cooks: a second env, built on the public env protocol alone.

Registered through entry points (``kitchen/Kitchen-v0`` and the agent ``kitchen-scripted``), like
an env from another package would be.
"""
