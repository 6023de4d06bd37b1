"""The exchange campaign's re-assessment schedule (重新评定日程安排), its notices (告知书) and their receipts (回执).

Holders assessed by eye are re-assessed by the institutions' doctors, who come out to a venue: each
township's clinic, the county federation's office for the sub-districts. Each working day the county
sends ``teams_per_day`` teams, each to one venue, where the doctors of a category assess at most their
daily capacity; holders who cannot travel are visited at home on a schedule of their own. Appointments
are stored once made (``reassessment_appointments``): the notice a township hands out names the day,
so scheduling again only places holders who have none, after the days already used.
No Flask here: the command line and the pages call it.

- ``planning``: holders packed into venue-days and home-visit days, without a database;
- ``scheduling``: the appointments made and stored, and the report on the county's deadline;
- ``moves``: appointments moved to another day (另行通知), the holders texted through their cases;
- ``listings``: what the pages list: the venue-days, a day's sign-in sheet, holders a page at a time;
- ``notices``: the notices with what to bring, and their receipts: those out, counted, recorded.
"""
