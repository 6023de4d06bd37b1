"""Where a case went and who took a task, said with the names people know: the directory's names of people and
groups, the processes' names, the outcomes' words. Shared by the pages and the API."""

from __future__ import annotations

from flask import g

from certflow.casework.handover import Names, taken, taken_text, where_now, whereabouts
from certflow.engine.outcomes import OUTCOMES
from certflow.web.context import group_name, process_name, services


def person_name(username: str | None) -> str:
    """A person's name from the directory; someone without an account (a system actor) as recorded, nobody as "".
    Each name is read once per request: a page lists the same few people many times."""
    if not username:
        return ""
    known = g.setdefault("person_names", {})
    if username not in known:
        found = services().accounts.by_username(username)
        known[username] = found.display_name if found is not None else username
    return known[username]


def names() -> Names:
    return Names(person=person_name, group=group_name, process=process_name, outcome=lambda key: OUTCOMES.get(key, key))


def case_now(number: str) -> str:
    """Where the case is now, e.g. after a step was completed."""
    return where_now(whereabouts(services().sessions, number), names())


def task_taken(task_id: str) -> str:
    """Who completed or claimed the task first, and when."""
    return taken_text(taken(services().sessions, task_id), names())
