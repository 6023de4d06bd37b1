"""Reading the cases and tasks the runtime projects: the inbox, the auditors' search and their reports.

These read the task projection and the case rows only, never a case's workflow state.
"""
