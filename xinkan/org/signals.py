"""What the tree tells the features that keep figures per unit (sent inside the change's
transaction, after the rows are written)."""

from __future__ import annotations

from django.dispatch import Signal

# unit (its new path written), old_path
unit_moved = Signal()
# unit (its new level saved), old_level
unit_relevelled = Signal()
