"""A county's exchange campaign (换证): the county file, the roster imported, the desks' lists and the
re-assessment schedule with its notices. Shizong (师宗县) runs one; see docs/processes.md.
"""
