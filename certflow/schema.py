"""Every table certflow keeps, in one metadata: the engine's and those of the packages built on it.

The engine's models know nothing of people or campaigns; importing their models here is what puts
their tables in the metadata the migrations are checked against.
"""

from certflow.campaign import models as _campaign
from certflow.engine.models import Base
from certflow.modeling import models as _modeling
from certflow.people import models as _people

metadata = Base.metadata
TABLE_MODULES = (_campaign, _modeling, _people)
