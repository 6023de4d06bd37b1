"""What analysts work with before a deployment: drafts of process files, the deployment a draft would make,
the choices a diagram's elements may take, decision tables and forms as they are edited.

No Flask here: the web pages (``certflow.web.modeling``) call these and the runtime.
"""
