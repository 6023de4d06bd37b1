"""certflow: disability-certificate workflows on SpiffWorkflow."""

__version__ = "0.1.0"
