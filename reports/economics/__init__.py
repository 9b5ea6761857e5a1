"""Plan economics (section 8 of the plan's rules): what the plan has saved since it began,
from the ledger; the next ten years under four options; the deductible's sensitivity;
and the utilization watch (the critics' worry that families skip care).

- ``rules``: the projection, the comparison and the sensitivity as pure functions (no
  ORM, no clock), and the figures' own arithmetic (savings, shares);
- ``selectors``: results since inception and utilization, read from the ledger's
  maintained totals and the claims, and the history the projection starts from;
- ``services``: saved scenarios, the PDF and the CSV, the pool's job with its progress;
- ``forms``, ``views``, ``api``: the superintendent's pages and the API.
"""
