"""The deployment's handlers: the Python functions its processes call (service-task operators, script helpers)
and the materials its application pages ask for, gathered in ``registry.REGISTRY``. certflow loads this folder
from ``CERTFLOW_HANDLERS``; its modules import each other relatively and take the national rules from certflow."""
