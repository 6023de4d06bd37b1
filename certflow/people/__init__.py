"""People and where they work: accounts, roles and groups, who may see what, and limits on guessing.

Nothing here knows of Flask; the web app and the command line both use it.
"""
